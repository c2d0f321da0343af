//! Our TensorBoard event records against the bytes TensorBoard's own writer produces for the same
//! events (`reference/make_tensorboard_fixture.py`, TensorBoard's protocol buffers and
//! `RecordWriter`).

use dcgan::run::tensorboard::{
    Datum, Event, Image, SESSION_START, SessionLog, Summary, Value, What, encode, read_events,
};

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/tensorboard/reference.tfevents"
);

fn scalar(tag: &str, v: f32) -> Value {
    Value {
        tag: tag.into(),
        datum: Some(Datum::SimpleValue(v)),
    }
}

fn events() -> Vec<Event> {
    let values = [
        ("loss/D", 1.3862),
        ("loss/G", 0.6912),
        ("D/real", 0.5),
        ("D/fake_before_D_step", 0.25),
        ("D/fake_after_D_step", 0.125),
        ("speed/images_per_s", 512.0),
        ("eval/FID", -3.5e-7),
    ];
    let png: Vec<u8> = (0..3).flat_map(|_| 0..=255u8).collect();
    vec![
        Event {
            wall_time: 1_733_500_000.25,
            step: 0,
            what: Some(What::FileVersion("brain.Event:2".into())),
        },
        Event {
            wall_time: 1_733_500_000.25,
            step: 41,
            what: Some(What::SessionLog(SessionLog {
                status: SESSION_START,
            })),
        },
        Event {
            wall_time: 1_733_500_001.5,
            step: 41,
            what: Some(What::Summary(Summary {
                value: values.iter().map(|&(t, v)| scalar(t, v)).collect(),
            })),
        },
        Event {
            wall_time: 1_733_500_002.75,
            step: 42,
            what: Some(What::Summary(Summary {
                value: vec![Value {
                    tag: "samples".into(),
                    datum: Some(Datum::Image(Image {
                        height: 66,
                        width: 130,
                        colorspace: 3,
                        encoded_image_string: png,
                    })),
                }],
            })),
        },
    ]
}

#[test]
fn our_records_are_byte_identical_to_tensorboards_writer() {
    let want = std::fs::read(FIXTURE).unwrap();
    let ours: Vec<u8> = events().iter().flat_map(encode).collect();
    assert_eq!(ours.len(), want.len());
    assert!(ours == want, "the encoded events differ from TensorBoard's");
    // And our reader takes TensorBoard's file back to the same events.
    assert_eq!(
        read_events(std::path::Path::new(FIXTURE)).unwrap(),
        events()
    );
}
