//! SCAN: the one pipeline driver every command runs (`scan`, `policy`, `explain`, `request`).
//!
//! Load every input, build every environment, hand each environment to the command's own
//! step, in parallel, and account for every file found the same way whatever the command:
//! the inputs' problems, what was skipped and why, and how many VMs each file gave. A
//! command differs only in its step and in whether it reads the input texts after the model
//! is built ([`Texts`]).

use rayon::prelude::*;

use super::environment::{self, Environment};
use super::inputs::{self, InputRecord};
use super::ScanOptions;
use crate::diagnostic::InputProblem;
use crate::map::Map;
use crate::timings::{Stage, Stages};

/// Whether a command's step reads the input texts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Texts {
    /// The step reads only the model: every location a report may cite is resolved as each
    /// environment is built and the texts (as big as the input) are freed before the step.
    Release,
    /// The step reads the texts (`explain` cites any line, `policy` reads rule declarations
    /// back): they are kept until the run ends.
    Keep,
}

/// What one run gave: the step's output per environment, in a fixed order (templates by
/// path, then the exports), and the account of every file found.
#[derive(Debug)]
pub struct Run<T> {
    /// The step's output for each environment.
    pub outputs: Vec<T>,
    /// Every file found, sorted by path, with its status, problems (the environments'
    /// problems included) and VM count.
    pub inputs: Vec<InputRecord>,
    /// How long each stage took (recorded only with `JITSCAN_TIMINGS=1`).
    pub stages: Vec<Stage>,
    /// The role assignments read, when the exports hold any.
    pub access: Option<std::sync::Arc<crate::rbac::Directory>>,
}

/// What the account needs of an environment once its step has taken it.
struct Accounted {
    owner: Option<String>,
    problems: Vec<InputProblem>,
    /// VMs declared per file, by display path.
    vm_files: Vec<(String, usize)>,
}

impl Accounted {
    /// The account's part of `env`; its problems are moved out (the account reports them).
    fn take(env: &mut Environment) -> Self {
        // By map: the exports' environment holds every exported VM, from hundreds of files.
        let mut counts: Map<&str, usize> = Map::default();
        for vm in &env.inventory.vms {
            *counts.entry(vm.origin.path()).or_default() += 1;
        }
        let vm_files = counts
            .into_iter()
            .map(|(path, count)| (path.to_owned(), count))
            .collect();
        Self {
            owner: env.owner.clone(),
            problems: std::mem::take(&mut env.problems),
            vm_files,
        }
    }
}

/// Runs the pipeline under `options.paths` and `step` on every environment, in parallel. The
/// step gets the environment without its problems: they are the account's.
pub fn run<T: Send>(
    options: &ScanOptions,
    texts: Texts,
    step: impl Fn(Environment) -> T + Sync,
) -> Run<T> {
    let mut stages = Stages::start();
    let mut loaded = inputs::load(options);
    stages.done("load");
    let release = texts == Texts::Release;
    let envs = environment::build(&mut loaded, options, release);
    let progress = options.progress.as_deref();
    if let Some(progress) = progress {
        progress.vms_found(envs.iter().map(|env| env.inventory.vms.len()).sum());
    }
    if release {
        loaded.release_texts();
    }
    stages.done("model and locations");
    let access = envs.iter().find_map(|env| env.access.clone());
    // The parsed trees are freed while the steps run: no step reads them.
    let ((), stepped) = rayon::join(
        || loaded.release_trees(),
        || -> Vec<(T, Accounted)> {
            envs.into_par_iter()
                .map(|mut env| {
                    let accounted = Accounted::take(&mut env);
                    let vms = env.inventory.vms.len();
                    let output = step(env);
                    if let Some(progress) = progress {
                        progress.environment_done(vms);
                    }
                    (output, accounted)
                })
                .collect()
        },
    );
    stages.done("evaluate");
    let (outputs, accounted): (Vec<T>, Vec<Accounted>) = stepped.into_iter().unzip();
    let mut vm_files = Vec::new();
    let mut problems = Vec::new();
    for a in accounted {
        vm_files.extend(a.vm_files);
        problems.push((a.owner, a.problems));
    }
    let mut inputs = inputs::account(loaded, problems, &vm_files);
    if let Some(access) = &access {
        inputs::note_access(&mut inputs, access);
    }
    stages.done("account");
    Run {
        outputs,
        inputs,
        stages: stages.finish(),
        access,
    }
}

/// Every environment under `options.paths`, whole (texts kept), with the account of the
/// inputs: for library users and tests that look at the model itself.
pub fn environments(options: &ScanOptions) -> Run<Environment> {
    run(options, Texts::Keep, |env| env)
}
