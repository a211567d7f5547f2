import pytest

from imgclf._data.labels import classes_present, map_labels
from imgclf._data.records import Record
from imgclf._tasks import TaskSpec
from imgclf.errors import DataError

TASK = TaskSpec(
    "emo", ("anger", "happy", "sad"), label_aliases={"happiness": "happy", "angry": "anger"}
)


def recs(*labels):
    return [Record(f"{i}.png", lab) for i, lab in enumerate(labels)]


def test_aliases_and_case_folding():
    out, dropped = map_labels(recs("HAPPINESS", "Angry", "sad", "Happy"), TASK)
    assert [r.label for r in out] == ["happy", "anger", "sad", "happy"]
    assert not dropped


def test_unknown_label_lists_with_suggestion():
    with pytest.raises(DataError, match=r"'sadd' \(2\) Did you mean 'sad'\?.*drop_unknown_labels"):
        map_labels(recs("sadd", "sadd", "happy"), TASK)


def test_user_map_and_drop():
    out, dropped = map_labels(recs("joy", "meh", "sad"), TASK, {"joy": "happy", "meh": ""})
    assert [r.label for r in out] == ["happy", "sad"] and dropped == {"meh": 1}
    out, dropped = map_labels(recs("joy", "sad"), TASK, drop_unknown=True)
    assert [r.label for r in out] == ["sad"] and dropped == {"joy": 1}
    with pytest.raises(DataError, match="'glad' is not a class"):
        map_labels(recs("joy"), TASK, {"joy": "glad"})


def test_classes_present_subset_and_single_class():
    assert classes_present(recs("sad", "anger"), TASK) == ("anger", "sad")
    with pytest.raises(DataError, match="single class"):
        classes_present(recs("sad", "sad"), TASK)


FROM_DATA = TaskSpec("any", ())


def test_classes_from_the_data_every_label_as_spelled():
    out, dropped = map_labels(
        recs(" Cat", "dog", "Dog", "owl"), FROM_DATA, {"owl": "", "DOG": "k9"}
    )
    assert [r.label for r in out] == ["Cat", "k9", "k9"] and dropped == {"owl": 1}
    assert classes_present(recs("b", "a", "c"), FROM_DATA) == ("a", "b", "c")
    out, _ = map_labels(recs("happiness", "HAPPINESS", "happiness", "Sad"), FROM_DATA)
    assert [r.label for r in out] == ["happiness"] * 3 + ["Sad"]  # one class per word
    with pytest.raises(DataError, match="Images without a label: ''"):
        map_labels(recs("cat", ""), FROM_DATA)
    with pytest.raises(DataError, match=r"single class \(cat\); a classifier needs at least two\."):
        classes_present(recs("cat"), FROM_DATA)
