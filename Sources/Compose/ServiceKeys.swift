/// The one declared table of service keys: every key a compose file may set under `services.<name>`,
/// and what StackPilot does with it. The normaliser accepts exactly these keys; a key that is
/// `.ignored` produces a warning that `config` and `up` print; Orchestration's adapter has one
/// application per `.applied` key (its tests check both tables against each other, so a key cannot
/// be accepted and then dropped without a word).
public struct ServiceKey: Sendable, Hashable {
    public enum Disposition: Sendable, Hashable {
        /// Reaches the Engine's create body (`ContainerConfig`/`HostConfig`, name, endpoints or mounts).
        case applied
        /// Steers orchestration rather than the body (image build/pull, the dependency graph, replicas).
        case orchestration
        /// Accepted but has no effect; the reason is printed as a warning when a file sets the key.
        case ignored(String)
        /// Refused with an error (exit 2).
        case refused(String)
    }

    public let name: String
    public let disposition: Disposition

    public init(_ name: String, _ disposition: Disposition) {
        self.name = name
        self.disposition = disposition
    }
}

extension ServiceKey {
    /// Every service key of the Compose Specification, sorted by name.
    public static let all: [ServiceKey] = [
        .init("annotations", .ignored("container annotations need Engine API 1.43; StackPilot targets 1.41")),
        .init("attach", .ignored("`stackpilot up` does not attach to logs; use `stackpilot logs`")),
        .init("blkio_config", .applied),
        .init("build", .orchestration),
        .init("cap_add", .applied),
        .init("cap_drop", .applied),
        .init("cgroup", .applied),
        .init("cgroup_parent", .applied),
        .init("command", .applied),
        .init("configs", .applied),
        .init("container_name", .applied),
        .init("cpu_count", .applied),
        .init("cpu_percent", .applied),
        .init("cpu_period", .applied),
        .init("cpu_quota", .applied),
        .init("cpu_rt_period", .applied),
        .init("cpu_rt_runtime", .applied),
        .init("cpu_shares", .applied),
        .init("cpus", .applied),
        .init("cpuset", .applied),
        .init("credential_spec", .ignored("credential specs exist on Windows containers only")),
        .init("depends_on", .orchestration),
        .init("deploy", .applied),
        .init("develop", .ignored("`develop` (compose watch) is not supported by StackPilot")),
        .init("device_cgroup_rules", .applied),
        .init("devices", .applied),
        .init("dns", .applied),
        .init("dns_opt", .applied),
        .init("dns_search", .applied),
        .init("domainname", .applied),
        .init("entrypoint", .applied),
        .init("env_file", .applied),
        .init("environment", .applied),
        .init("expose", .applied),
        .init("extends", .refused("`extends` is not supported by StackPilot; merge the files with -f instead")),
        .init("external_links", .applied),
        .init("extra_hosts", .applied),
        .init("gpus", .applied),
        .init("group_add", .applied),
        .init("healthcheck", .applied),
        .init("hostname", .applied),
        .init("image", .applied),
        .init("init", .applied),
        .init("ipc", .applied),
        .init("isolation", .applied),
        .init("label_file", .applied),
        .init("labels", .applied),
        .init("links", .applied),
        .init("logging", .applied),
        .init("mac_address", .applied),
        .init("mem_limit", .applied),
        .init("mem_reservation", .applied),
        .init("mem_swappiness", .applied),
        .init("memswap_limit", .applied),
        .init("network_mode", .applied),
        .init("networks", .applied),
        .init("oom_kill_disable", .applied),
        .init("oom_score_adj", .applied),
        .init("pid", .applied),
        .init("pids_limit", .applied),
        .init("platform", .ignored("StackPilot pulls and runs the engine's native platform")),
        .init("ports", .applied),
        .init("post_start", .ignored("lifecycle hooks need Engine API 1.44 exec; StackPilot targets 1.41")),
        .init("pre_stop", .ignored("lifecycle hooks need Engine API 1.44 exec; StackPilot targets 1.41")),
        .init("privileged", .applied),
        .init("profiles", .orchestration),
        .init("pull_policy", .orchestration),
        .init("read_only", .applied),
        .init("restart", .applied),
        .init("runtime", .applied),
        .init("scale", .orchestration),
        .init("secrets", .applied),
        .init("security_opt", .applied),
        .init("shm_size", .applied),
        .init("stdin_open", .applied),
        .init("stop_grace_period", .applied),
        .init("stop_signal", .applied),
        .init("storage_opt", .applied),
        .init("sysctls", .applied),
        .init("tmpfs", .applied),
        .init("tty", .applied),
        .init("ulimits", .applied),
        .init("user", .applied),
        .init("userns_mode", .applied),
        .init("uts", .applied),
        .init("volumes", .applied),
        .init("volumes_from", .applied),
        .init("working_dir", .applied),
    ]

    /// The names of `all`, for validation.
    public static let names: Set<String> = Set(all.map(\.name))

    /// The keys that must reach the create body.
    public static let appliedNames: [String] = all.filter { $0.disposition == .applied }.map(\.name)

    /// The key's entry, or nil when it is not a service key.
    public static func named(_ name: String) -> ServiceKey? { all.first { $0.name == name } }
}
