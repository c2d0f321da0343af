//! `dcgan interpolate`, `dcgan arithmetic` and `dcgan turn`: the latent space (paper 6.1, 6.3.2).

use anyhow::{Result, bail};
use dcgan::figures;
use dcgan::latent::arithmetic::{self, Term};
use dcgan::latent::parse_seed_list;
use dcgan::latent::walk::Path;
use dcgan::render::{default_zoom, save_gif};

use super::load_generator;
use crate::cli::{ArithmeticArgs, InterpolateArgs, TurnArgs};

pub fn interpolate(args: InterpolateArgs) -> Result<()> {
    if args.out.is_none() && args.gif.is_none() {
        bail!("nothing to write: give --out FILE.png and/or --gif FILE.gif");
    }
    let seed_lists: Vec<Vec<u64>> = if args.from_seeds.is_empty() {
        if args.points < 2 {
            bail!(
                "invalid --points: a walk needs at least 2, got {}",
                args.points
            );
        }
        if args.walks == 0 {
            bail!("invalid --walks: must be at least 1");
        }
        (0..args.walks as u64)
            .map(|w| {
                let first = args.seed + w * args.points as u64;
                (first..first + args.points as u64).collect()
            })
            .collect()
    } else {
        let lists = args
            .from_seeds
            .iter()
            .map(|s| parse_seed_list("--from-seeds", s))
            .collect::<dcgan::Result<Vec<_>>>()?;
        if let Some(short) = lists.iter().find(|l| l.len() < 2) {
            bail!(
                "invalid --from-seeds: a walk needs at least 2 seeds, got {:?}",
                short
            );
        }
        lists
    };
    if args.steps == 0 {
        bail!("invalid --steps: must be at least 1");
    }
    let (g, model, device) = load_generator(&args.from, &args.figure.device)?;
    let path = if args.slerp {
        Path::Spherical
    } else {
        Path::Linear
    };
    let walks = figures::walks(&g, &model, &seed_lists, args.steps, path, &device)?;
    let zoom = args.figure.zoom.unwrap_or(default_zoom(model.image_size));
    if let Some(out) = &args.out {
        figures::walk_figure(&walks, zoom).save(out)?;
        println!(
            "wrote {} walk(s) of {} frames to {}",
            walks.len(),
            walks[0].frames(),
            out.display()
        );
    }
    if let Some(gif) = &args.gif {
        let frames = figures::walk_frames(&walks, zoom);
        save_gif(gif, &frames, args.frame_ms)?;
        println!("wrote {} frames to {}", frames.len(), gif.display());
    }
    Ok(())
}

pub fn arithmetic(args: ArithmeticArgs) -> Result<()> {
    let terms: Vec<Term> = if !args.term.is_empty() {
        args.term
            .iter()
            .map(|t| Term::parse("--term", t))
            .collect::<dcgan::Result<_>>()?
    } else {
        let mut terms = Vec::new();
        for (flag, value, sign) in [
            ("--a", &args.a, 1.0),
            ("--b", &args.b, -1.0),
            ("--c", &args.c, 1.0),
        ] {
            match value {
                Some(v) => terms.push(Term::from_list(flag, sign, v)?),
                None => bail!("give --a, --b and --c (or --term for other expressions)"),
            }
        }
        terms
    };
    if !(args.radius >= 0.0 && args.radius.is_finite()) {
        bail!("invalid --radius: must be a non-negative number");
    }
    let (g, model, device) = load_generator(&args.from, &args.figure.device)?;
    let result = figures::arithmetic(
        &g,
        &model,
        &terms,
        args.neighbours,
        args.radius,
        args.noise_seed,
        &device,
    );
    let zoom = args.figure.zoom.unwrap_or(default_zoom(model.image_size));
    figures::arithmetic_figure(&result, zoom).save(&args.out)?;
    let expr: Vec<String> = terms
        .iter()
        .map(|t| {
            let seeds: Vec<String> = t.seeds.iter().map(u64::to_string).collect();
            format!("{} mean({})", t.sign_char(), seeds.join(","))
        })
        .collect();
    println!("Y = {}", expr.join(" "));
    println!("wrote {}", args.out.display());
    Ok(())
}

pub fn turn(args: TurnArgs) -> Result<()> {
    let towards = Term::new(
        "--towards",
        1.0,
        parse_seed_list("--towards", &args.towards)?,
    )?;
    let away = Term::new("--away", -1.0, parse_seed_list("--away", &args.away)?)?;
    let seeds = parse_seed_list("--seeds", &args.seeds)?;
    if args.steps == 0 {
        bail!("invalid --steps: must be at least 1");
    }
    if !args.scale.is_finite() {
        bail!("invalid --scale: must be a number");
    }
    let (g, model, device) = load_generator(&args.from, &args.figure.device)?;
    let direction = arithmetic::evaluate(&[towards, away], model.nz, model.latent);
    let alphas = arithmetic::linspace(-args.scale, args.scale, args.steps);
    let zoom = args.figure.zoom.unwrap_or(default_zoom(model.image_size));
    figures::along_figure(&g, &model, &direction, &seeds, &alphas, zoom, &device)
        .save(&args.out)?;
    let norm = direction.iter().map(|v| v * v).sum::<f32>().sqrt();
    println!(
        "direction |mean(towards) - mean(away)| = {norm:.3}; {} samples x {} steps",
        seeds.len(),
        alphas.len()
    );
    println!("wrote {}", args.out.display());
    Ok(())
}
