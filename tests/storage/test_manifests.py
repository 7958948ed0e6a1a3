import json

import pytest

from isvi_models.errors import InputError
from storage.manifests import list_videos, localize, read_manifest, release


def touch(p):
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(b"x")
    return p


class TestListVideos:
    def test_folder_is_recursive_with_relative_names(self, tmp_path):
        touch(tmp_path / "b.mp4"), touch(tmp_path / "sub" / "a.MKV"), touch(tmp_path / "notes.txt")
        touch(tmp_path / ".hidden.mp4")
        assert [(i.name, i.own_mask) for i in list_videos(str(tmp_path))] == [("b.mp4", False), ("sub/a.MKV", False)]

    def test_glob(self, tmp_path):
        touch(tmp_path / "x" / "a.mp4"), touch(tmp_path / "x" / "b.mov"), touch(tmp_path / "y" / "c.mp4")
        items = list_videos(str(tmp_path / "x" / "*.mp4"))
        assert [i.name for i in items] == ["a.mp4"]

    def test_empty_folder_names_it(self, tmp_path):
        with pytest.raises(InputError, match=str(tmp_path)):
            list_videos(str(tmp_path))

    def test_s3_prefix(self, s3_bucket, tmp_path):
        import s3fs

        fs = s3fs.S3FileSystem(skip_instance_cache=True)
        fs.pipe_file(f"{s3_bucket[5:]}/in/a.mp4", b"x")
        fs.pipe_file(f"{s3_bucket[5:]}/in/d/b.mkv", b"y")
        fs.pipe_file(f"{s3_bucket[5:]}/in/readme.txt", b"z")
        items = list_videos(f"{s3_bucket}/in")
        assert [(i.source, i.name) for i in items] == [(f"{s3_bucket}/in/a.mp4", "a.mp4"),
                                                       (f"{s3_bucket}/in/d/b.mkv", "d/b.mkv")]
        local = localize(items[1].source, tmp_path / "scratch")
        assert local.read_bytes() == b"y"
        release(items[1].source, tmp_path / "scratch")
        assert not local.exists() and list((tmp_path / "scratch").iterdir()) == []
        assert fs.cat_file(f"{s3_bucket[5:]}/in/d/b.mkv") == b"y"  # the source itself untouched

    def test_release_leaves_local_sources_alone(self, tmp_path):
        src = touch(tmp_path / "a.mp4")
        assert localize(str(src), tmp_path / "scratch") == src
        release(str(src), tmp_path / "scratch")
        assert src.read_bytes() == b"x"


class TestReadManifest:
    def test_csv(self, tmp_path):
        (tmp_path / "m.csv").write_text("video,mask,boxes,output\n"
                                        "clips/a.mp4,masks/a.png,,\n"
                                        "clips/b.mp4,static,,b_clean.mp4\n"
                                        "/abs/c.mp4,,1,2,3,4\n".replace("1,2,3,4", '"1,2,3,4;5,6,7,8"'))
        a, b, c = read_manifest(str(tmp_path / "m.csv"))
        assert (a.source, a.mask, a.own_mask, a.name) == (str(tmp_path / "clips/a.mp4"), str(tmp_path / "masks/a.png"),
                                                          True, "a.mp4")
        assert (b.mask, b.own_mask, b.name) == (None, False, "b_clean.mp4")
        assert (c.source, c.boxes, c.own_mask) == ("/abs/c.mp4", ("1,2,3,4", "5,6,7,8"), True)

    def test_jsonl(self, tmp_path):
        rows = [{"video": "a.mp4", "boxes": ["0.1,0.1,0.2,0.2"]}, {"video": "s3://b/x.mp4", "output": "x.mkv"}]
        (tmp_path / "m.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n\n")
        a, x = list_videos(str(tmp_path / "m.jsonl"))
        assert a.boxes == ("0.1,0.1,0.2,0.2",) and a.own_mask and x.source == "s3://b/x.mp4" and x.name == "x.mkv"

    @pytest.mark.parametrize("name,text,match", [
        ("m.csv", "path\na.mp4\n", "'video' column"),
        ("m.jsonl", '{"video": "a.mp4"}\nnot json\n', r"m.jsonl:2"),
        ("m.jsonl", '{"mask": "a.png"}\n', "no 'video'"),
        ("m.csv", "video,output\na.mp4,o.mp4\nb.mp4,o.mp4\n", "same output"),
    ])
    def test_bad_manifest_names_file_and_row(self, tmp_path, name, text, match):
        (tmp_path / name).write_text(text)
        with pytest.raises(InputError, match=match) as info:
            read_manifest(str(tmp_path / name))
        assert name in str(info.value)

    def test_missing_manifest(self, tmp_path):
        with pytest.raises(InputError, match="does not exist"):
            read_manifest(str(tmp_path / "nope.csv"))
