"""storywire: find the same news story published many times over.

This file is both the package definition for ``pip install .`` and what
Dataflow's ``--setup_file ./setup.py`` ships to workers.
"""
import setuptools

REQUIRED = [
    "apache-beam==2.77.0",
    "feedparser==6.0.14",
    "trafilatura==2.3.1",
    # The language of the article text (a page declares its template's); trafilatura's own choice.
    "py3langid==0.3.0",
    # trafilatura imports jusText, which needs lxml.html.clean: a separate package since lxml 5.2.
    "lxml>=6.0,<7",
    "lxml_html_clean==0.4.6",
    # datasketch 2.0 changed the permutation scheme; signatures are only comparable within one version.
    "datasketch==2.0.0",
    "pyarrow>=14.0.1,<26",
    "numpy>=1.26,<2.5",
    "charset-normalizer>=3.3,<4",
    "defusedxml==0.7.1",
    "requests>=2.32,<3",
    "urllib3>=2.2,<3",
    "duckdb>=1.1,<3",
    # The event level: lemmas and word rarity, offline (transforms/dedup/events.py).
    "simplemma==2.0.0",
    "wordfreq==3.1.1",
]

setuptools.setup(
    name="storywire",
    version="0.1.0",
    description="Beam pipeline that clusters syndicated copies of news stories into Parquet.",
    python_requires=">=3.10",
    packages=setuptools.find_packages(include=["pipeline", "pipeline.*", "transforms", "transforms.*", "schemas"]),
    install_requires=REQUIRED,
    extras_require={"test": ["pytest>=8,<10", "pandas>=2.1,<3",
                             # the suite runs on every core: most of its time is whole pipeline runs
                             "pytest-xdist==3.8.0",
                             # other extractors measured beside ours in `make bench-extract`
                             "readability-lxml==0.8.4.1", "justext==3.0.2",
                             # render real pages to text dumps for `make bench-quality`
                             "inscriptis==2.7.6", "html2text==2025.4.15", "markdownify==1.2.3"],
                    "gcp": ["apache-beam[gcp]==2.77.0"]},
    entry_points={"console_scripts": ["storywire=pipeline.__main__:main"]},
)
