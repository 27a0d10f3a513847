"""`aimmo-gt completion SHELL`: completion scripts made by shtab; the bash one is run by a real bash."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest


def _bash_complete(script: str, *words: str) -> list[str]:
    """What bash offers for the last of `words` after `aimmo-gt`, with the script loaded."""
    line = " ".join(("aimmo-gt", *words))
    program = (
        'source /dev/stdin <<< "$SCRIPT"\n'
        f"COMP_WORDS=(aimmo-gt {' '.join(words)}); COMP_CWORD={len(words)}\n"
        f'COMP_LINE="{line}"; COMP_POINT=${{#COMP_LINE}}\n'
        "_shtab_aimmo_gt\n"
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    bash = shutil.which("bash")
    assert bash is not None, "bash runs the completion script"
    done = subprocess.run([bash, "-c", program], capture_output=True, text=True, env={"SCRIPT": script})
    assert done.returncode == 0, done.stderr
    return sorted(filter(None, done.stdout.splitlines()))


def _script(shell: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "aimmo_gt", "completion", shell], capture_output=True, text=True, check=True
    )
    assert done.stderr == ""
    return done.stdout


def test_bash_completes_commands_options_choices_and_rule_ids():
    script = _script("bash")
    assert "complete -o bashdefault -F _shtab_aimmo_gt aimmo-gt" in script
    assert _bash_complete(script, "val") == ["validate"]
    assert _bash_complete(script, "validate", "--max-p") == ["--max-problems"]
    assert _bash_complete(script, "validate", "--format", "g") == ["github", "gitlab"]
    assert _bash_complete(script, "validate", "--color", "") == ["always", "auto", "never"]
    assert _bash_complete(script, "validate", "--ignore", "geometry.w") == ["geometry.within-image"]
    assert _bash_complete(script, "validate", "--warn", "mask") == [
        "mask.",
        "mask.area",
        "mask.bound-order",
        "mask.rle",
    ]
    assert _bash_complete(script, "completion", "") == ["bash", "fish", "zsh"]


@pytest.mark.parametrize(
    ("shell", "header", "option"),
    [
        ("zsh", "#compdef aimmo-gt", '"--max-problems['),
        ("fish", "complete -c aimmo-gt", "-l max-problems"),
    ],
)
def test_zsh_and_fish_scripts_name_every_option_and_choice(shell, header, option):
    # Neither shell is on the test machine: the scripts are read, not run.
    script = _script(shell)
    assert header in script and option in script
    for text in ("--config", "--no-config", "--color", "github gitlab", "geometry.within-image"):
        assert text.lstrip("-") in script


def test_without_shtab_it_says_what_to_install(cli, monkeypatch):
    monkeypatch.setitem(sys.modules, "shtab", None)  # import shtab now raises ImportError
    run = cli("completion", "bash")
    assert run.code == 2 and "pip install 'aimmo-gt[completion]'" in run.err
    assert cli("completion", "powershell").code == 2
