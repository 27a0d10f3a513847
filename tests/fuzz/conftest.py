"""Report how many documents the fuzz tests made, so the budget is visible in every run."""


def pytest_terminal_summary(terminalreporter):
    # Imported here, not at collection: building strategies in a conftest's import slows every run.
    from ._strategies import DEEP, MADE

    if MADE["documents"]:
        mode = "deep (AIMMO_GT_FUZZ=deep)" if DEEP else "default (AIMMO_GT_FUZZ=deep runs 10x)"
        terminalreporter.write_line(f"aimmo-gt fuzz: {MADE['documents']} documents made, {mode}")
