"""The articles are evidence: they must stay byte-identical to what was received."""
import hashlib

from conftest import REPO

# sha256 of the five articles as received (../shared/seeds), by their original file names.
RECEIVED = {
    "000_7212ea618852743f.txt": "42a4b5475b8b7594b0b19c5c985ee680b53bf8577023254db22d3aecacb232ae",
    "001_c515cd8204b5fe34.txt": "5c63fe9887a700f3943ebcc05fa3cb957245686d7f9959a63a3eb5332bb5ee80",
    "002_34c6dcc3e87e6aad.txt": "7568abcb6421e2b7a68ac5f3196ff3b740e27b4a52cf0179f70ec840b802723c",
    "003_e67304e719c7f874.txt": "601a228e5162b606be5d401c5a9881a01101685d82b07a8181e7579dcfea0fe3",
    "004_46bf3bc7c4e32560.txt": "253a7fcefe67ea6c91fd892ffeed93acda0c304d1fa4d5479e7a99cea485ab0c",
}


def test_seed_articles_are_byte_identical_to_the_originals():
    for name, digest in RECEIVED.items():
        assert hashlib.sha256((REPO / "seeds" / name).read_bytes()).hexdigest() == digest, name


def test_shared_originals_match_when_present():
    shared = REPO.parent / "shared" / "seeds"
    for original in sorted(shared.glob("*.txt")):
        assert (REPO / "seeds" / original.name).read_bytes() == original.read_bytes()


def test_seeds_keep_their_typography():
    text = "".join((REPO / "seeds" / name).read_text(encoding="utf-8") for name in RECEIVED)
    assert "\u00a0" in text and "\u201c" in text and "\u2019" in text
