"""Packaging glue: the top-level checks/, reports/ and ansible/ folders ship inside the hostaudit package."""

from setuptools import find_packages, setup

CHECK_PACKAGES = ["hostaudit.checks", *(f"hostaudit.checks.{name}" for name in find_packages("checks"))]

setup(
    packages=[*find_packages(include=["hostaudit", "hostaudit.*"]), *CHECK_PACKAGES, "hostaudit.reports",
              "hostaudit.ansible"],
    package_dir={"hostaudit.checks": "checks", "hostaudit.reports": "reports",
                 "hostaudit.ansible": "ansible"},
    package_data={"hostaudit": ["data/*.json", "schemas/*.json"], "hostaudit.reports": ["templates/*"],
                  "hostaudit.ansible": ["roles/container_hardening/*/*", "playbooks/*"]},
)
