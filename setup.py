"""Packaging glue: the top-level checks/ and reports/ folders ship inside the hostaudit package."""

from setuptools import find_packages, setup

CHECK_PACKAGES = ["hostaudit.checks", *(f"hostaudit.checks.{name}" for name in find_packages("checks"))]

setup(
    packages=[*find_packages(include=["hostaudit", "hostaudit.*"]), *CHECK_PACKAGES, "hostaudit.reports"],
    package_dir={"hostaudit.checks": "checks", "hostaudit.reports": "reports"},
    package_data={"hostaudit": ["data/*.json", "schemas/*.json"], "hostaudit.reports": ["templates/*"]},
)
