"""A fusion phase for ``LocalRunner``: a Flatten that only feeds a shuffle writes straight into it.

Beam's ``FnApiRunner`` materializes every Flatten of several inputs: each input
is encoded into a buffer, read back and decoded, and when a GroupByKey follows,
encoded once more into the shuffle (after an identity "transcode" step, since
the shuffle's input coder is length-prefixed). For storywire's band keys that
was three encodings of 383,000 records. ``flatten_into_shuffle`` runs after
``expand_gbk`` and before ``sink_flattens``: where a Flatten's output goes only
to one GroupByKey, each input is written straight into the grouping buffer, and
the Flatten disappears. A GroupByKey of several inputs is a Flatten by
definition, so what a run outputs does not change.

Taken only when it is plainly safe: every input has the Flatten output's
windowing and goes nowhere else, so it can be encoded with the shuffle's own
coder (what Beam's identity "transcode" step would do); otherwise Beam's own
handling stays.
"""
from __future__ import annotations

from typing import Dict, Iterable, List

from apache_beam.portability import common_urns
from apache_beam.portability.api import beam_runner_api_pb2
from apache_beam.runners.portability.fn_api_runner import translations
from apache_beam.runners.worker import bundle_processor

__all__ = ["flatten_into_shuffle", "phases"]


def _group_write(stage) -> bool:
    if len(stage.transforms) != 1:
        return False
    t = stage.transforms[0]
    return (t.spec.urn == bundle_processor.DATA_OUTPUT_URN
            and translations.split_buffer_id(t.spec.payload)[0] == "group")


def flatten_into_shuffle(stages: Iterable, context) -> List:
    stages = list(stages)
    consumers: Dict[str, list] = {}
    for stage in stages:
        for t in stage.transforms:
            for pcoll in t.inputs.values():
                consumers.setdefault(pcoll, []).append(stage)
    pcolls = context.components.pcollections
    replaced: Dict[object, frozenset] = {}  # a removed stage -> the stages that stand for it
    for flatten in stages:
        if len(flatten.transforms) != 1:
            continue
        t = flatten.transforms[0]
        if t.spec.urn != common_urns.primitives.FLATTEN.urn or not t.inputs:
            continue
        out = translations.only_element(t.outputs.values())
        users = consumers.get(out, [])
        if len(users) != 1 or not _group_write(users[0]):
            continue
        write = users[0]
        inputs = list(t.inputs.items())
        if any(pcolls[p].windowing_strategy_id != pcolls[out].windowing_strategy_id
               or consumers.get(p) != [flatten] for _, p in inputs):
            continue
        for _, p in inputs:
            # What Beam's transcoding step would do: encode the input with the shuffle's coder.
            pcolls[p].coder_id = pcolls[out].coder_id
        # The grouping buffer is named after a GroupByKey whose input pcollection has a data
        # channel coder; the Flatten's output will have none, so name it after a copy fed by an input.
        gbk_id = translations.split_buffer_id(write.transforms[0].spec.payload)[1]
        proxy_id = translations.unique_name(context.components.transforms, gbk_id + "/FromFlatten")
        proxy = context.components.transforms[proxy_id]
        proxy.CopyFrom(context.components.transforms[gbk_id])
        proxy.unique_name = proxy_id
        proxy.inputs.clear()
        proxy.inputs[inputs[0][0]] = inputs[0][1]
        buffer_id = translations.create_buffer_id(proxy_id, kind="group")
        writes = frozenset(
            translations.Stage(
                f"{t.unique_name}/WriteGroup/{local}",
                [beam_runner_api_pb2.PTransform(
                    unique_name=f"{t.unique_name}/WriteGroup/{local}", inputs={local: pcoll},
                    spec=beam_runner_api_pb2.FunctionSpec(urn=bundle_processor.DATA_OUTPUT_URN, payload=buffer_id),
                    environment_id=t.environment_id)],
                downstream_side_inputs=frozenset(),
                must_follow=flatten.must_follow | write.must_follow)
            for local, pcoll in inputs)
        for stage in stages:
            for s in stage.transforms:
                if s.spec.urn == bundle_processor.DATA_INPUT_URN and s.spec.payload == write.transforms[0].spec.payload:
                    s.spec.payload = buffer_id
        replaced[flatten] = replaced[write] = writes
    result = []
    for stage in stages:
        if stage not in replaced:
            result.append(stage)
        elif common_urns.primitives.FLATTEN.urn == stage.transforms[0].spec.urn:
            result.extend(replaced[stage])  # where the Flatten was: its inputs are produced before
    for stage in result:
        if stage.must_follow & replaced.keys():
            stage.must_follow = frozenset().union(*(replaced.get(s, frozenset([s])) for s in stage.must_follow))
    return result


def phases() -> list:
    """``FnApiRunner.create_stages``'s phases (Beam 2.77) with ours before ``sink_flattens``."""
    return [
        translations.annotate_downstream_side_inputs,
        translations.fix_side_input_pcoll_coders,
        translations.pack_combiners,
        translations.lift_combiners,
        translations.expand_sdf,
        translations.expand_gbk,
        flatten_into_shuffle,
        translations.sink_flattens,
        translations.greedily_fuse,
        translations.read_to_impulse,
        translations.impulse_to_input,
        translations.sort_stages,
        translations.add_impulse_to_dangling_transforms,
        translations.setup_timer_mapping,
        translations.populate_data_channel_coders,
    ]
