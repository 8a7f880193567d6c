"""The batch and streaming graphs translate into Dataflow jobs (DataflowRunner ``--dry_run``: built, not submitted).

No Google Cloud access is needed or used: the runner builds the job and its
portable pipeline, pickling every DoFn and resolving every coder, then stops
before staging or submitting anything.
"""
import datetime as dt

import apache_beam as beam
from apache_beam.portability.api import beam_runner_api_pb2
from apache_beam.runners.dataflow.dataflow_runner import DataflowRunner

from pipeline.graph import RunContext, build_pipeline
from pipeline.options import StorywireOptions
from pipeline.stream import build_stream, poll_argv

BUCKET = "gs://storywire-test"
DRY_RUN = ["--job_name=storywire-dry-run", "--project=test-project", "--region=us-central1",
           f"--temp_location={BUCKET}/tmp", "--no_auth", "--dry_run=True", "--sdk_location=container"]
#: Key coders a runner can group state by: deterministic, language-neutral encodings.
DETERMINISTIC_KEYS = {"beam:coder:string_utf8:v1", "beam:coder:varint:v1", "beam:coder:bytes:v1"}


def _dry_run(argv, build):
    options = StorywireOptions(argv + DRY_RUN)
    opts = options.view_as(StorywireOptions)
    p = beam.Pipeline(runner=DataflowRunner(), options=options)
    build(p, opts, dt.datetime(2024, 10, 21, tzinfo=dt.timezone.utc))
    return p.run().job


def _transform_names(job):
    return {t.unique_name for t in job.proto_pipeline.components.transforms.values()}


def _stateful_key_coders(job):
    components = job.proto_pipeline.components
    found = {}
    for transform in components.transforms.values():
        if transform.spec.urn != "beam:transform:pardo:v1":
            continue
        payload = beam_runner_api_pb2.ParDoPayload.FromString(transform.spec.payload)
        if not payload.state_specs:
            continue
        main_input = next(iter(transform.inputs.values()))
        kv = components.coders[components.pcollections[main_input].coder_id]
        found[transform.unique_name] = components.coders[kv.component_coder_ids[0]].spec.urn
    return found


def test_batch_graph_builds_a_dataflow_batch_job():
    job = _dry_run(["--input", f"{BUCKET}/dumps/*", "--feeds", f"{BUCKET}/feeds.txt", "--output", f"{BUCKET}/out"],
                   lambda p, opts, now: build_pipeline(p, opts, RunContext("r1", now, f"{BUCKET}/out/_staging/r1")))
    assert job.proto.type_.name == "JOB_TYPE_BATCH"
    names = _transform_names(job)
    for step in ("ReadDocuments", "ReadFeeds", "ExtractArticles", "SignArticles",
                 "ClusterStories/FindCandidates/GroupByBand", "ClusterStories/BuildClusters",
                 "ClusterStories/FindContainedTexts/GroupByAnchor", "GroupEvents/GroupByEventKey", "WriteArticles", "WriteClusters",
                 "WriteIndex", "WriteErrors", "PublishRun/Publish"):
        assert step in names, step
    environments = job.proto_pipeline.components.environments.values()
    assert environments and all(e.urn == "beam:env:docker:v1" for e in environments)


def test_stream_graph_builds_a_dataflow_streaming_job_that_runs_polls_one_at_a_time():
    argv = ["--feeds", f"{BUCKET}/feeds.txt", "--output", f"{BUCKET}/out", "--poll_interval", "60", "--streaming"]
    job = _dry_run(argv, lambda p, opts, now: build_stream(p, opts, "r1", poll_argv(argv + DRY_RUN)))
    assert job.proto.type_.name == "JOB_TYPE_STREAMING"
    # One deterministic key: the runner hands polls to RunPolls one at a time.
    assert _stateful_key_coders(job) == {"RunPolls": "beam:coder:varint:v1"}
    assert {"PollFeeds", "KeyPolls", "RunPolls"} <= _transform_names(job)
