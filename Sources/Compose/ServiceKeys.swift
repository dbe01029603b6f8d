/// The one declared table of service keys: every key a compose file may set under `services.<name>`,
/// and what StackPilot does with it. The normaliser accepts exactly these keys; a key that is
/// `.ignored` produces a warning that `config` and `up` print; Orchestration's adapter has one
/// application per `.applied` key (its tests check both tables against each other, so a key cannot
/// be accepted and then dropped without a word).
///
/// Each row also says what the key does on Docker Swarm (`swarm`): `.applied` reaches the service
/// spec (`DockerEngine.ServiceSpec`: task ContainerSpec, Resources, RestartPolicy, Placement,
/// EndpointSpec), `.orchestration` steers the swarm deployment, `.ignored` and `.refused` carry the
/// reason printed (a warning, or an error with exit 2) when a swarm deployment sets the key. A row
/// without `swarm:` behaves on Swarm as on a single host (only ignored and refused keys may omit it).
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
    /// What the key does in a swarm deployment.
    public let swarm: Disposition

    public init(_ name: String, _ disposition: Disposition, swarm: Disposition? = nil) {
        self.name = name
        self.disposition = disposition
        self.swarm = swarm ?? disposition
    }

    /// The disposition for a single host or for Swarm.
    public func disposition(swarm onSwarm: Bool) -> Disposition { onSwarm ? swarm : disposition }
}

extension ServiceKey {
    /// Every service key of the Compose Specification, sorted by name.
    public static let all: [ServiceKey] = [
        .init("annotations", .ignored("container annotations need Engine API 1.43; StackPilot targets 1.41")),
        .init("attach", .ignored("`stackpilot up` does not attach to logs; use `stackpilot logs`")),
        .init("blkio_config", .applied, swarm: .ignored("swarm services have no block I/O settings")),
        .init("build", .orchestration, swarm: .orchestration),
        .init("cap_add", .applied, swarm: .applied),
        .init("cap_drop", .applied, swarm: .applied),
        .init("cgroup", .applied, swarm: .ignored("swarm services have no cgroup namespace setting")),
        .init("cgroup_parent", .applied, swarm: .ignored("swarm places task cgroups itself")),
        .init("command", .applied, swarm: .applied),
        .init("configs", .applied, swarm: .applied),
        .init("container_name", .applied, swarm: .ignored("swarm names each task's container itself")),
        .init("cpu_count", .applied, swarm: .ignored("swarm services have no such CPU setting; use deploy.resources.limits.cpus")),
        .init("cpu_percent", .applied, swarm: .ignored("swarm services have no such CPU setting; use deploy.resources.limits.cpus")),
        .init("cpu_period", .applied, swarm: .ignored("swarm services have no such CPU setting; use deploy.resources.limits.cpus")),
        .init("cpu_quota", .applied, swarm: .ignored("swarm services have no such CPU setting; use deploy.resources.limits.cpus")),
        .init("cpu_rt_period", .applied, swarm: .ignored("swarm services have no such CPU setting; use deploy.resources.limits.cpus")),
        .init("cpu_rt_runtime", .applied, swarm: .ignored("swarm services have no such CPU setting; use deploy.resources.limits.cpus")),
        .init("cpu_shares", .applied, swarm: .ignored("swarm services have no such CPU setting; use deploy.resources.limits.cpus")),
        .init("cpus", .applied, swarm: .applied),
        .init("cpuset", .applied, swarm: .ignored("swarm services cannot pin CPUs")),
        .init("credential_spec", .ignored("credential specs exist on Windows containers only")),
        .init("depends_on", .orchestration, swarm: .orchestration),
        .init("deploy", .applied, swarm: .applied),
        .init("develop", .ignored("`develop` (compose watch) is not supported by StackPilot")),
        .init("device_cgroup_rules", .applied, swarm: .ignored("swarm services have no device cgroup rules")),
        .init("devices", .applied, swarm: .refused("swarm services cannot map devices; reserve GPUs with deploy.resources.reservations.generic_resources")),
        .init("dns", .applied, swarm: .applied),
        .init("dns_opt", .applied, swarm: .applied),
        .init("dns_search", .applied, swarm: .applied),
        .init("domainname", .applied, swarm: .ignored("swarm services have no domain name setting")),
        .init("entrypoint", .applied, swarm: .applied),
        .init("env_file", .applied, swarm: .applied),
        .init("environment", .applied, swarm: .applied),
        .init("expose", .applied, swarm: .ignored("swarm services publish only `ports`; on a shared network every port is reachable")),
        .init("extends", .refused("`extends` is not supported by StackPilot; merge the files with -f instead")),
        .init("external_links", .applied, swarm: .ignored("swarm services reach each other by name on their networks")),
        .init("extra_hosts", .applied, swarm: .applied),
        .init("gpus", .applied, swarm: .refused("swarm services have no device requests; reserve GPUs with deploy.resources.reservations.generic_resources")),
        .init("group_add", .applied, swarm: .applied),
        .init("healthcheck", .applied, swarm: .applied),
        .init("hostname", .applied, swarm: .applied),
        .init("image", .applied, swarm: .applied),
        .init("init", .applied, swarm: .applied),
        .init("ipc", .applied, swarm: .ignored("swarm services have no IPC namespace setting")),
        .init("isolation", .applied, swarm: .applied),
        .init("label_file", .applied, swarm: .applied),
        .init("labels", .applied, swarm: .applied),
        .init("links", .applied, swarm: .ignored("swarm services reach each other by name on their networks")),
        .init("logging", .applied, swarm: .applied),
        .init("mac_address", .applied, swarm: .ignored("swarm tasks get their addresses from the overlay network")),
        .init("mem_limit", .applied, swarm: .applied),
        .init("mem_reservation", .applied, swarm: .applied),
        .init("mem_swappiness", .applied, swarm: .ignored("swarm services have no swap settings")),
        .init("memswap_limit", .applied, swarm: .ignored("swarm services have no swap settings")),
        .init("network_mode", .applied, swarm: .applied),
        .init("networks", .applied, swarm: .applied),
        .init("oom_kill_disable", .applied, swarm: .ignored("swarm services have no OOM killer settings")),
        .init("oom_score_adj", .applied, swarm: .ignored("swarm services have no OOM killer settings")),
        .init("pid", .applied, swarm: .ignored("swarm services have no PID namespace setting")),
        .init("pids_limit", .applied, swarm: .applied),
        .init("platform", .ignored("StackPilot pulls and runs the engine's native platform")),
        .init("ports", .applied, swarm: .applied),
        .init("post_start", .ignored("lifecycle hooks need Engine API 1.44 exec; StackPilot targets 1.41")),
        .init("pre_stop", .ignored("lifecycle hooks need Engine API 1.44 exec; StackPilot targets 1.41")),
        .init("privileged", .applied, swarm: .ignored("swarm services cannot run privileged (Engine API 1.41); grant capabilities with cap_add")),
        .init("profiles", .orchestration, swarm: .orchestration),
        .init("pull_policy", .orchestration, swarm: .orchestration),
        .init("read_only", .applied, swarm: .applied),
        .init("restart", .applied, swarm: .applied),
        .init("runtime", .applied, swarm: .ignored("swarm tasks run with each node's default runtime")),
        .init("scale", .orchestration, swarm: .orchestration),
        .init("secrets", .applied, swarm: .applied),
        .init("security_opt", .applied, swarm: .ignored("swarm services take no security options at Engine API 1.41")),
        .init("shm_size", .applied, swarm: .ignored("swarm services have no shm size at Engine API 1.41; mount a tmpfs at /dev/shm")),
        .init("stdin_open", .applied, swarm: .applied),
        .init("stop_grace_period", .applied, swarm: .applied),
        .init("stop_signal", .applied, swarm: .applied),
        .init("storage_opt", .applied, swarm: .ignored("swarm services have no storage options")),
        .init("sysctls", .applied, swarm: .applied),
        .init("tmpfs", .applied, swarm: .applied),
        .init("tty", .applied, swarm: .applied),
        .init("ulimits", .applied, swarm: .applied),
        .init("user", .applied, swarm: .applied),
        .init("userns_mode", .applied, swarm: .ignored("swarm services have no user namespace setting")),
        .init("uts", .applied, swarm: .ignored("swarm services have no UTS namespace setting")),
        .init("volumes", .applied, swarm: .applied),
        .init("volumes_from", .applied, swarm: .refused("swarm tasks cannot share another container's volumes; use a named volume")),
        .init("working_dir", .applied, swarm: .applied),
    ]

    /// The names of `all`, for validation.
    public static let names: Set<String> = Set(all.map(\.name))

    /// The keys that must reach the create body.
    public static let appliedNames: [String] = all.filter { $0.disposition == .applied }.map(\.name)

    /// The keys that must reach a swarm service spec.
    public static let swarmAppliedNames: [String] = all.filter { $0.swarm == .applied }.map(\.name)

    /// The key's entry, or nil when it is not a service key.
    public static func named(_ name: String) -> ServiceKey? { all.first { $0.name == name } }
}
