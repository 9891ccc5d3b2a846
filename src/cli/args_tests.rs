// The command line accepts docker compose's spellings of the runtime commands, flags and
// environment variables, and rejects bad usage with exit code 1 (as docker compose v5).

use crate::cli::args::{AnsiMode, ListFormat, ProgressMode, RmiArg, StatusArg, Tail};
use crate::cli::{Cli, Command};
use clap::Parser;
use rcompose::plan::{BuildPolicy, PullPolicy, RemoveImages};

fn parse(args: &[&str]) -> Cli {
    let mut v = vec!["rcompose"];
    v.extend_from_slice(args);
    Cli::try_parse_from(v).unwrap_or_else(|e| panic!("{args:?}: {e}"))
}

fn rejects(args: &[&str]) {
    let mut v = vec!["rcompose"];
    v.extend_from_slice(args);
    assert!(Cli::try_parse_from(v).is_err(), "{args:?} was accepted");
}

#[test]
fn up_takes_every_docker_compose_flag() {
    let cli = parse(&[
        "-p",
        "proj",
        "up",
        "-d",
        "--wait",
        "--wait-timeout",
        "30",
        "--build",
        "--force-recreate",
        "--always-recreate-deps",
        "--remove-orphans",
        "--scale",
        "web=3",
        "--scale",
        "db=0",
        "--no-deps",
        "-t",
        "5",
        "-V",
        "--pull",
        "never",
        "web",
        "db",
    ]);
    let Command::Up(a) = cli.command else {
        panic!("not up")
    };
    assert!(a.detach && a.wait);
    assert_eq!(a.wait_timeout, Some(30));
    let o = a.up_options();
    assert_eq!(o.build, BuildPolicy::Always);
    assert_eq!(o.pull, PullPolicy::Never);
    assert!(o.force_recreate && o.always_recreate_deps && o.remove_orphans && o.no_deps);
    assert!(o.renew_anon_volumes);
    assert_eq!(o.timeout, Some(5));
    assert_eq!(o.scale.get("web"), Some(&3));
    assert_eq!(o.scale.get("db"), Some(&0));
    assert_eq!(o.services, ["web", "db"]);
}

#[test]
fn up_attach_flags() {
    let cli = parse(&[
        "up",
        "--abort-on-container-exit",
        "--exit-code-from",
        "job",
        "--attach",
        "a",
        "--no-attach",
        "b",
        "--no-start",
        "--no-recreate",
        "--no-build",
    ]);
    let Command::Up(a) = cli.command else {
        panic!("not up")
    };
    assert!(a.abort_on_container_exit);
    assert_eq!(a.exit_code_from.as_deref(), Some("job"));
    assert_eq!(a.attach, ["a"]);
    assert_eq!(a.no_attach, ["b"]);
    let o = a.up_options();
    assert!(o.no_start && o.no_recreate);
    assert_eq!(o.build, BuildPolicy::Never);
}

#[test]
fn contradictory_up_flags_are_rejected() {
    rejects(&["up", "--build", "--no-build"]);
    rejects(&["up", "--force-recreate", "--no-recreate"]);
    rejects(&["up", "-d", "--abort-on-container-exit"]);
    rejects(&["up", "--scale", "web"]);
    rejects(&["up", "--pull", "sometimes"]);
}

#[test]
fn down_flags() {
    let cli = parse(&[
        "down",
        "-v",
        "--rmi",
        "local",
        "--remove-orphans",
        "-t",
        "0",
    ]);
    let Command::Down(a) = cli.command else {
        panic!("not down")
    };
    assert_eq!(a.rmi, Some(RmiArg::Local));
    let o = a.down_options();
    assert!(o.remove_volumes && o.remove_orphans);
    assert_eq!(o.rmi, Some(RemoveImages::Local));
    assert_eq!(o.timeout, Some(0));
    rejects(&["down", "--rmi", "some"]);
}

#[test]
fn lifecycle_commands_parse() {
    for args in [
        &["create", "--force-recreate", "web"][..],
        &["start", "web"],
        &["stop", "-t", "3"],
        &["restart", "--no-deps", "-t", "1", "web"],
        &["kill", "-s", "SIGTERM", "--remove-orphans"],
        &["rm", "-f", "-s", "-v", "web"],
        &["pause", "web"],
        &["unpause"],
        &["ls", "-a", "-q", "--format", "json"],
        &["port", "--index", "2", "--protocol", "udp", "web", "53"],
        &["logs", "-f", "--tail", "10", "-t", "web"],
    ] {
        parse(args);
    }
    rejects(&["port", "web"]);
    rejects(&["port", "web", "http"]);
}

#[test]
fn ps_flags() {
    let cli = parse(&[
        "ps",
        "-a",
        "-q",
        "--services",
        "--status",
        "running",
        "--status",
        "exited",
        "--format",
        "json",
        "web",
    ]);
    let Command::Ps(a) = cli.command else {
        panic!("not ps")
    };
    assert!(a.all && a.quiet && a.services);
    assert_eq!(a.status, [StatusArg::Running, StatusArg::Exited]);
    assert_eq!(a.format, "json");
    assert_eq!(a.service_names, ["web"]);
}

#[test]
fn logs_tail_all_or_number() {
    let Command::Logs(a) = parse(&["logs", "--tail", "all"]).command else {
        panic!()
    };
    assert_eq!(a.tail, Tail::All);
    let Command::Logs(a) = parse(&["logs", "-n", "5"]).command else {
        panic!()
    };
    assert_eq!(a.tail, Tail::Last(5));
    rejects(&["logs", "--tail", "five"]);
}

#[test]
fn logs_since_and_until_take_docker_times() {
    let Command::Logs(a) = parse(&[
        "logs",
        "--since",
        "2023-11-14T22:13:20Z",
        "--until",
        "1700000100",
    ])
    .command
    else {
        panic!()
    };
    assert_eq!(
        (a.since, a.until),
        (Some(1_700_000_000), Some(1_700_000_100))
    );
    let Command::Logs(a) = parse(&["logs", "--since", "10m"]).command else {
        panic!()
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let since = a.since.expect("since");
    assert!(
        (now - 600 - 5..=now - 600 + 5).contains(&since),
        "{since} vs {now}"
    );
    rejects(&["logs", "--since", "yesterday"]);
    rejects(&["logs", "--until", "2023-02-30"]);
}

#[test]
fn global_runtime_flags_anywhere() {
    let cli = parse(&[
        "--parallel",
        "4",
        "--progress",
        "json",
        "--ansi",
        "never",
        "up",
        "--dry-run",
    ]);
    assert_eq!(cli.runtime.parallel, Some(4));
    assert_eq!(cli.runtime.progress, Some(ProgressMode::Json));
    assert_eq!(cli.runtime.ansi, Some(AnsiMode::Never));
    assert!(cli.runtime.dry_run);
    let cli = parse(&["up", "--parallel", "-1"]);
    assert_eq!(cli.runtime.parallel, Some(-1));
    assert_eq!(cli.runtime.parallel_limit(Some("6")), 6);
    rejects(&["--progress", "fancy", "up"]);
}

#[test]
fn inspection_commands_parse() {
    let Command::Top(a) = parse(&["top", "web", "db"]).command else {
        panic!("not top")
    };
    assert_eq!(a.services, ["web", "db"]);
    let Command::Events(a) = parse(&["events", "--json", "web"]).command else {
        panic!("not events")
    };
    assert!(a.json);
    assert_eq!(a.services, ["web"]);
    let Command::Wait(a) = parse(&["wait", "--down-project", "job", "web"]).command else {
        panic!("not wait")
    };
    assert!(a.down_project);
    assert_eq!(a.services, ["job", "web"]);
    rejects(&["wait"]);
    rejects(&["events", "--format", "x"]);
}

#[test]
fn cp_takes_docker_compose_flags_and_dash() {
    let Command::Cp(a) =
        parse(&["cp", "--index", "2", "--all", "-L", "-a", "web:/tmp/x", "-"]).command
    else {
        panic!("not cp")
    };
    assert_eq!(
        (a.index, a.all, a.follow_link, a.archive),
        (2, true, true, true)
    );
    assert_eq!(
        (a.source.as_str(), a.destination.as_str()),
        ("web:/tmp/x", "-")
    );
    let Command::Cp(a) = parse(&["cp", "-", "web:/tmp"]).command else {
        panic!("not cp")
    };
    assert_eq!((a.index, a.source.as_str()), (0, "-"));
    rejects(&["cp", "only-one"]);
    rejects(&["cp", "a", "b", "c"]);
    rejects(&["cp", "--index", "x", "a", "web:/b"]);
}

#[test]
fn up_watch_flag() {
    for flag in ["--watch", "-w"] {
        let Command::Up(a) = parse(&["up", flag, "web"]).command else {
            panic!("not up")
        };
        assert!(a.watch && a.attached());
        assert_eq!(a.services, ["web"]);
    }
}

fn parse_rewritten(args: &[&str]) -> Cli {
    let mut v: Vec<std::ffi::OsString> = vec!["rcompose".into()];
    v.extend(args.iter().map(Into::into));
    let v = crate::cli::oneoff::rewrite_args(crate::cli::hoist_file_flags(v));
    Cli::try_parse_from(v).unwrap_or_else(|e| panic!("{args:?}: {e}"))
}

#[test]
fn exec_takes_docker_compose_flags_and_keeps_the_command_verbatim() {
    let cli = parse_rewritten(&[
        "-p",
        "proj",
        "exec",
        "-T",
        "-d",
        "-e",
        "A=1",
        "--env",
        "B",
        "-u",
        "1000",
        "-w",
        "/tmp",
        "--index",
        "2",
        "--privileged",
        "web",
        "sh",
        "-c",
        "echo -f -p $A",
        "-e",
        "x",
    ]);
    assert_eq!(cli.global.project_name.as_deref(), Some("proj"));
    let Command::Exec(a) = cli.command else {
        panic!("not exec")
    };
    assert!(a.no_tty && a.detach && a.privileged && a.interactive);
    assert_eq!(a.env, ["A=1", "B"]);
    assert_eq!(a.user.as_deref(), Some("1000"));
    assert_eq!(a.workdir.as_deref(), Some("/tmp"));
    assert_eq!(a.index, Some(2));
    assert_eq!(a.service, "web");
    assert_eq!(a.command, ["sh", "-c", "echo -f -p $A", "-e", "x"]);
    let Command::Exec(a) = parse_rewritten(&["exec", "--interactive=false", "web", "ls"]).command
    else {
        panic!("not exec")
    };
    assert!(!a.interactive);
    rejects(&["exec", "web"]);
    rejects(&["exec", "--index", "0", "web", "ls"]);
}

#[test]
fn run_p_publishes_and_every_flag_parses() {
    let cli = parse_rewritten(&[
        "-p",
        "proj",
        "run",
        "--rm",
        "-p",
        "8080:80",
        "-p127.0.0.1:9090:90",
        "-v",
        "./d:/d:ro",
        "-e",
        "A=1",
        "-l",
        "k=v",
        "-u",
        "1000",
        "-w",
        "/w",
        "--entrypoint",
        "sh -c",
        "--name",
        "custom",
        "--no-deps",
        "-T",
        "--use-aliases",
        "--cap-add",
        "NET_ADMIN",
        "--cap-drop=ALL",
        "web",
        "echo",
        "-p",
        "hi",
    ]);
    assert_eq!(cli.global.project_name.as_deref(), Some("proj"));
    let Command::Run(a) = cli.command else {
        panic!("not run")
    };
    assert!(a.rm && a.no_deps && a.no_tty && a.use_aliases && !a.detach && a.interactive);
    assert_eq!(a.publish, ["8080:80", "127.0.0.1:9090:90"]);
    assert_eq!(a.volume, ["./d:/d:ro"]);
    assert_eq!(
        (a.cap_add.as_slice(), a.cap_drop.as_slice()),
        (&["NET_ADMIN".to_string()][..], &["ALL".to_string()][..])
    );
    assert_eq!(a.label, ["k=v"]);
    assert_eq!(a.entrypoint.as_deref(), Some("sh -c"));
    assert_eq!(a.name.as_deref(), Some("custom"));
    assert_eq!(a.service, "web");
    assert_eq!(a.command, ["echo", "-p", "hi"]);
    let o = a.run_options(false).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(o.entrypoint, Some(vec!["sh".to_string(), "-c".to_string()]));
    assert_eq!(o.publish.len(), 2);
    assert_eq!(o.publish[1].host_ip.as_deref(), Some("127.0.0.1"));
    assert_eq!(o.volumes[0].kind, "bind");
    assert!(o.volumes[0].read_only);

    // A `-p` after an option that takes a value is still `--publish`.
    let cli = parse_rewritten(&["run", "--cap-add", "NET_ADMIN", "-p", "8080:80", "web"]);
    assert_eq!(cli.global.project_name, None);
    let Command::Run(a) = cli.command else {
        panic!("not run")
    };
    assert_eq!(
        (a.publish.as_slice(), a.service.as_str()),
        (&["8080:80".to_string()][..], "web")
    );

    let Command::Run(a) = parse_rewritten(&["run", "-d", "-P", "web"]).command else {
        panic!("not run")
    };
    assert!(a.detach && a.service_ports && a.command.is_empty());
    rejects(&["run", "-P", "--publish", "80", "web"]);
    rejects(&["run"]);
}

#[test]
fn run_rejects_bad_values_naming_the_flag() {
    for (args, flag) in [
        (&["run", "-p", "http", "web"][..], "--publish"),
        (&["run", "-l", "novalue", "web"][..], "--label"),
        (&["run", "-v", "/a:/b:ro:x", "web"][..], "--volume"),
        (&["run", "--entrypoint", "sh 'x", "web"][..], "--entrypoint"),
    ] {
        let Command::Run(a) = parse_rewritten(args).command else {
            panic!("not run")
        };
        let e = a.run_options(false).expect_err("bad value accepted");
        assert!(e.to_string().contains(flag), "{args:?}: {e}");
    }
}

#[test]
fn build_takes_docker_compose_flags() {
    let cli = parse(&[
        "build",
        "--no-cache",
        "--pull",
        "--push",
        "-q",
        "--with-dependencies",
        "--build-arg",
        "A=1",
        "--build-arg",
        "B",
        "--build-arg",
        "C=x=y",
        "-m",
        "1g",
        "--force-rm",
        "web",
    ]);
    let Command::Build(a) = cli.command else {
        panic!("not build")
    };
    assert!(a.no_cache && a.pull && a.push && a.quiet && a.with_dependencies);
    assert_eq!(
        a.build_args,
        vec![
            ("A".to_string(), Some("1".to_string())),
            ("B".to_string(), None),
            ("C".to_string(), Some("x=y".to_string())),
        ]
    );
    assert_eq!(a.services, vec!["web".to_string()]);
    rejects(&["build", "--build-arg", "=1"]);
    // `-f` after the command is still the compose file.
    let cli = Cli::try_parse_from(crate::cli::hoist_file_flags(
        ["rcompose", "build", "-f", "x.yaml", "web"]
            .iter()
            .map(Into::into)
            .collect(),
    ))
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(cli.global.file, vec![std::path::PathBuf::from("x.yaml")]);
}

#[test]
fn pull_push_and_images_take_docker_compose_flags() {
    let cli = parse(&[
        "pull",
        "-q",
        "--include-deps",
        "--ignore-pull-failures",
        "--ignore-buildable",
        "--policy",
        "always",
        "db",
    ]);
    let Command::Pull(a) = cli.command else {
        panic!("not pull")
    };
    assert!(a.quiet && a.include_deps && a.ignore_pull_failures && a.ignore_buildable);
    assert_eq!(a.policy.map(|p| p.as_str()), Some("always"));
    rejects(&["pull", "--policy", "never"]);

    let cli = parse(&[
        "push",
        "--ignore-push-failures",
        "--include-deps",
        "-q",
        "web",
    ]);
    let Command::Push(a) = cli.command else {
        panic!("not push")
    };
    assert!(a.ignore_push_failures && a.include_deps && a.quiet);
    assert_eq!(a.services, vec!["web".to_string()]);

    let cli = parse(&["images", "-q", "--format", "json", "web"]);
    let Command::Images(a) = cli.command else {
        panic!("not images")
    };
    assert!(a.quiet);
    assert_eq!(a.format, ListFormat::Json);
    rejects(&["images", "--format", "yaml"]);
}

#[test]
fn the_command_line_definition_passes_clap_s_own_checks() {
    use clap::CommandFactory;
    Cli::command().debug_assert();
}

#[test]
fn version_has_docker_compose_v5_shapes() {
    use crate::cli::{version_text, VersionArgs};
    let text = |args: &[&str]| {
        let mut argv = vec!["version"];
        argv.extend_from_slice(args);
        let Command::Version(a) = parse(&argv).command else {
            panic!("not version")
        };
        version_text(&a, "1.2.3")
    };
    assert_eq!(text(&[]), "rcompose version v1.2.3\n");
    assert_eq!(text(&["--short"]), "1.2.3\n");
    assert_eq!(text(&["--format", "json"]), "{\"version\":\"v1.2.3\"}\n");
    assert_eq!(text(&["-f", "json", "--short"]), "1.2.3\n");
    assert_eq!(text(&["--format", "pretty"]), text(&[]));
    assert_eq!(
        version_text(&VersionArgs::default(), "0.1.0"),
        "rcompose version v0.1.0\n"
    );
}

#[test]
fn volumes_takes_quiet_format_and_services() {
    let cli = parse(&["volumes", "-q", "--format", "json", "web", "db"]);
    let Command::Volumes(a) = cli.command else {
        panic!("not volumes")
    };
    assert!(a.quiet);
    assert_eq!(a.format, "json");
    assert_eq!(a.services, ["web", "db"]);
    let Command::Volumes(a) = parse(&["volumes"]).command else {
        panic!("not volumes")
    };
    assert_eq!(a.format, "table");
    assert!(!a.quiet);
}

#[test]
fn scale_takes_replicas_and_no_deps() {
    let Command::Scale(a) = parse(&["scale", "--no-deps", "web=3", "db=0"]).command else {
        panic!("not scale")
    };
    assert!(a.no_deps);
    assert_eq!(a.services, [("web".to_string(), 3), ("db".to_string(), 0)]);
    rejects(&["scale"]);
    rejects(&["scale", "web"]);
    rejects(&["scale", "web=-1"]);
}

#[test]
fn start_takes_wait_and_wait_timeout() {
    let Command::Start(a) = parse(&["start", "--wait", "--wait-timeout", "5", "web"]).command
    else {
        panic!("not start")
    };
    assert!(a.wait);
    assert_eq!(a.wait_timeout, Some(5));
    assert_eq!(a.services, ["web"]);
    let wait = crate::cli::args::wait_duration;
    assert_eq!(wait(true, Some(5)), Some(std::time::Duration::from_secs(5)));
    assert_eq!(wait(false, Some(5)), None);
    // 0 is no limit, as in docker compose v5.
    assert!(wait(true, Some(0)).is_some_and(|d| d.as_secs() >= 3600));
    rejects(&["start", "--wait-timeout", "x"]);
}

#[test]
fn run_takes_env_from_file_build_and_pull() {
    let cli = parse(&[
        "run",
        "--env-from-file",
        "a.env",
        "--env-from-file=b.env",
        "--build",
        "--pull",
        "never",
        "web",
        "env",
    ]);
    let Command::Run(a) = cli.command else {
        panic!("not run")
    };
    assert_eq!(
        a.env_from_file,
        [std::path::PathBuf::from("a.env"), "b.env".into()]
    );
    assert!(a.build);
    assert_eq!(a.pull, crate::cli::oneoff::RunPull::Never);
    assert_eq!(a.service, "web");
    assert_eq!(a.command, ["env"]);
    let Command::Run(a) = parse(&["run", "web"]).command else {
        panic!("not run")
    };
    assert_eq!(a.pull.policy(), None);
    rejects(&["run", "--pull", "sometimes", "web"]);
}

#[test]
fn export_and_commit_take_v5_flags() {
    let Command::Export(a) = parse(&["export", "--index", "2", "-o", "out.tar", "web"]).command
    else {
        panic!("not export")
    };
    assert_eq!(a.index, 2);
    assert_eq!(a.output, Some("out.tar".into()));
    assert_eq!(a.service, "web");
    let Command::Commit(a) = parse(&[
        "commit",
        "-a",
        "me",
        "-m",
        "msg",
        "-c",
        "ENV X=1",
        "-c",
        "LABEL y=2",
        "--pause=false",
        "--index",
        "1",
        "web",
        "img:v1",
    ])
    .command
    else {
        panic!("not commit")
    };
    assert_eq!(a.author.as_deref(), Some("me"));
    assert_eq!(a.message.as_deref(), Some("msg"));
    assert_eq!(a.change, ["ENV X=1", "LABEL y=2"]);
    assert!(!a.pause);
    assert_eq!(a.index, 1);
    assert_eq!(a.reference.as_deref(), Some("img:v1"));
    let Command::Commit(a) = parse(&["commit", "web"]).command else {
        panic!("not commit")
    };
    assert!(a.pause, "pauses by default, as v5");
    assert_eq!(a.reference, None);
    rejects(&["export"]);
    rejects(&["commit"]);
}

#[test]
fn stats_takes_v5_flags() {
    let Command::Stats(a) = parse(&[
        "stats",
        "-a",
        "--no-stream",
        "--no-trunc",
        "--format",
        "json",
        "web",
    ])
    .command
    else {
        panic!("not stats")
    };
    assert!(a.all && a.no_stream && a.no_trunc);
    assert_eq!(a.format, "json");
    assert_eq!(a.service.as_deref(), Some("web"));
    let Command::Stats(a) = parse(&["stats"]).command else {
        panic!("not stats")
    };
    assert_eq!(a.format, "table");
    assert_eq!(a.service, None);
    rejects(&["stats", "web", "db"]);
}

#[test]
fn attach_takes_v5_flags() {
    let Command::Attach(a) = parse(&[
        "attach",
        "--index",
        "2",
        "--no-stdin",
        "--sig-proxy=false",
        "--detach-keys",
        "ctrl-x",
        "web",
    ])
    .command
    else {
        panic!("not attach")
    };
    assert_eq!(a.index, 2);
    assert!(a.no_stdin);
    assert!(!a.sig_proxy);
    assert_eq!(a.detach_keys.as_deref(), Some("ctrl-x"));
    assert_eq!(a.service, "web");
    let Command::Attach(a) = parse(&["attach", "web"]).command else {
        panic!("not attach")
    };
    assert!(a.sig_proxy, "proxies signals by default, as v5");
    rejects(&["attach"]);
}
