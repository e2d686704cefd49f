"""`trust.others_could_change_under`: the code a root job imports, judged file by file on real files and real
owners (a raw uid stands for another user: only the owner recorded in the inode matters)."""

from __future__ import annotations

import os

from hostaudit.trust import others_could_change_under

OTHER_UID = 2201


def test_a_tree_past_the_bound_is_refused_unjudged(root_tmp_path):
    tree = root_tmp_path / "tree"
    (tree / "sub").mkdir(parents=True)
    for number in range(3):
        (tree / "sub" / f"m{number}.py").write_text("")
    assert others_could_change_under([str(tree)], limit=4) is None  # sub/ and its three files
    assert others_could_change_under([str(tree)], limit=3) == (
        f"more than 3 files and directories under {tree}: too many to judge")


def test_a_link_inside_a_tree_is_judged_by_where_it_leads(root_tmp_path):
    tree, elsewhere = root_tmp_path / "tree", root_tmp_path / "elsewhere"
    tree.mkdir()
    elsewhere.mkdir()
    (elsewhere / "mod.py").write_text("")
    (tree / "mod.py").symlink_to(elsewhere / "mod.py")
    assert others_could_change_under([str(tree)]) is None
    os.chown(elsewhere, OTHER_UID, OTHER_UID)
    assert others_could_change_under([str(tree)]) == f"{elsewhere} is owned by uid {OTHER_UID}, not by root"


def test_a_linked_directory_is_walked_below_and_a_loop_ends(root_tmp_path):
    tree, elsewhere = root_tmp_path / "tree", root_tmp_path / "elsewhere"
    tree.mkdir()
    (elsewhere / "pkg").mkdir(parents=True)
    (tree / "loop").symlink_to(tree)
    (tree / "lib").symlink_to(elsewhere)
    module = elsewhere / "pkg" / "mod.py"
    module.write_text("")
    assert others_could_change_under([str(tree)]) is None
    module.chmod(0o666)
    assert others_could_change_under([str(tree)]) == f"{tree}/lib/pkg/mod.py is writable by others (mode 0666)"


def test_a_missing_folder_is_judged_where_it_would_be_created(root_tmp_path):
    parent = root_tmp_path / "user"
    parent.mkdir()
    missing = str(parent / "python311.zip")
    assert others_could_change_under([missing]) is None
    os.chown(parent, OTHER_UID, OTHER_UID)
    assert others_could_change_under([missing]) == f"{parent} is owned by uid {OTHER_UID}, not by root"
