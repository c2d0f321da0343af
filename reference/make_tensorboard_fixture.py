"""Writes crates/dcgan/tests/fixtures/tensorboard/reference.tfevents with TensorBoard's own
protocol buffers and record writer: the events a dcgan training session writes (version, session
start, a scalar event, an image event) with fixed times. `tests/tensorboard.rs` encodes the same
events with our writer and requires the same bytes.

    pip install tensorboard && python reference/make_tensorboard_fixture.py
"""
import io
import os

from tensorboard.compat.proto import event_pb2, summary_pb2
from tensorboard.summary.writer.record_writer import RecordWriter

OUT = os.path.join(os.path.dirname(__file__), "..", "crates", "dcgan", "tests", "fixtures",
                   "tensorboard", "reference.tfevents")


def main():
    buf = io.BytesIO()
    w = RecordWriter(buf)
    w.write(event_pb2.Event(wall_time=1733500000.25, step=0,
                            file_version="brain.Event:2").SerializeToString())
    w.write(event_pb2.Event(wall_time=1733500000.25, step=41,
                            session_log=event_pb2.SessionLog(status=event_pb2.SessionLog.START)
                            ).SerializeToString())
    values = [("loss/D", 1.3862), ("loss/G", 0.6912), ("D/real", 0.5),
              ("D/fake_before_D_step", 0.25), ("D/fake_after_D_step", 0.125),
              ("speed/images_per_s", 512.0), ("eval/FID", -3.5e-7)]
    w.write(event_pb2.Event(wall_time=1733500001.5, step=41, summary=summary_pb2.Summary(
        value=[summary_pb2.Summary.Value(tag=t, simple_value=v) for t, v in values]
    )).SerializeToString())
    png = bytes(range(256)) * 3
    w.write(event_pb2.Event(wall_time=1733500002.75, step=42, summary=summary_pb2.Summary(
        value=[summary_pb2.Summary.Value(tag="samples", image=summary_pb2.Summary.Image(
            height=66, width=130, colorspace=3, encoded_image_string=png))]
    )).SerializeToString())
    w.flush()
    with open(OUT, "wb") as f:
        f.write(buf.getvalue())
    print(f"wrote {OUT} ({len(buf.getvalue())} bytes)")


if __name__ == "__main__":
    main()
