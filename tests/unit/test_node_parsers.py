"""Hostile or malformed input to the node parsers yields partial facts, never an exception."""

from hostaudit.checks.container._seccomp import DANGEROUS, evaluate_profile
from hypothesis import given
from hypothesis import strategies as st

from hostaudit.collectors.kubelet import parse_flags
from hostaudit.containerd_config import cni_conf_dir, cri_disabled, cri_section, default_runtime

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8) | st.sampled_from(DANGEROUS),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["names", "name", "action", "args", "includes", "excludes", "caps", "minKernel", "index",
                         "value", "op", "defaultAction", "syscalls", "version", "plugins", "cri", "containerd",
                         "runtimes", "cni", "conf_dir", "disabled_plugins"]) | st.text(max_size=6),
        inner, max_size=4),
    max_leaves=20)


@given(json_values)
def test_any_seccomp_profile_is_evaluated_without_raising(profile):
    view = evaluate_profile(profile if isinstance(profile, dict) else {"syscalls": profile}, frozenset(), (6, 1, 0))
    assert set(view.allowed) <= set(DANGEROUS)


@given(json_values)
def test_any_config_toml_shape_is_read_without_raising(data):
    data = data if isinstance(data, dict) else {"plugins": data}
    section, table = cri_section(data)
    assert isinstance(section, dict) and table.startswith("plugins")
    assert isinstance(cri_disabled(data), bool)
    assert isinstance(default_runtime(section)[0], str)
    assert cni_conf_dir(data)


@given(st.lists(st.text(max_size=12) | st.sampled_from(["--config", "--anonymous-auth", "-v", "--", "="]),
                max_size=8))
def test_any_kubelet_command_line_parses(argv):
    flags = parse_flags(("kubelet", *argv))
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in flags.items())
