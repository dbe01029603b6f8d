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
        .init("pull_policy", .orchestration, swarm: .ignored("each node pulls the image when it lacks it; nodes have no pull policy")),
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

// MARK: - Parse and render, one entry per key of `all`

/// A service while the normaliser reads its keys: the model being built, the project's declared
/// names, and the node of each `depends_on` entry (for located cross-service errors).
struct ServiceUnderParse {
    var config: ServiceConfig
    let context: Normaliser.ProjectContext
    var dependencyNodes: [String: YNode] = [:]
}

extension Normaliser {
    /// Reads one key's value (`key`, its node and key path) into the service, reporting problems.
    typealias KeyParser = @Sendable (inout Normaliser, inout ServiceUnderParse, _ key: String, _ value: YNode, _ path: String) -> Void

    /// How each key of `ServiceKey.all` is read. The normaliser loops over the file's keys through
    /// this table; `ServiceKeyTableTests` checks it has exactly the table's keys.
    static let keyParsers: [String: KeyParser] = [
        "annotations": asGiven,
        "attach": asGiven,
        "blkio_config": { n, s, key, v, p in s.config.other[key] = n.blkioConfig(v, p) },
        "build": { n, s, _, v, p in s.config.build = n.build(v, p) },
        "cap_add": { n, s, _, v, p in s.config.capAdd = n.stringList(v, p) },
        "cap_drop": { n, s, _, v, p in s.config.capDrop = n.stringList(v, p) },
        "cgroup": keepString,
        "cgroup_parent": keepString,
        "command": { n, s, _, v, p in s.config.command = n.commandLine(v, p) },
        "configs": { n, s, _, v, p in s.config.configs = n.fileReferences(v, p, defined: s.context.configs, kind: "config") },
        "container_name": { n, s, _, v, p in
            s.config.containerName = n.string(v, p)
            if let c = s.config.containerName, !Normaliser.isValidName(c) {
                n.sink.error(v, p, "invalid container name \"\(c)\" (expected [a-zA-Z0-9][a-zA-Z0-9_.-]*)")
            }
        },
        "cpu_count": keepInteger,
        "cpu_percent": keepInteger,
        "cpu_period": keepInteger,
        "cpu_quota": keepInteger,
        "cpu_rt_period": keepMicroseconds,
        "cpu_rt_runtime": keepMicroseconds,
        "cpu_shares": keepInteger,
        "cpus": { n, s, key, v, p in if let cpus = n.cpus(v, p) { s.config.other[key] = .double(cpus) } },
        "cpuset": keepString,
        "credential_spec": asGiven,
        "depends_on": { n, s, _, v, p in s.config.dependsOn = n.dependsOn(v, p, nodes: &s.dependencyNodes) },
        "deploy": { n, s, _, v, p in s.config.deploy = n.deploy(v, p) },
        "develop": asGiven,
        "device_cgroup_rules": keepStringList,
        "devices": { n, s, _, v, p in s.config.devices = n.devices(v, p) },
        "dns": { n, s, _, v, p in s.config.dns = n.stringOrList(v, p) },
        "dns_opt": { n, s, key, v, p in
            let list = n.stringOrList(v, p)
            if !list.isEmpty { s.config.other[key] = .array(list.map(ComposeValue.string)) }
        },
        "dns_search": { n, s, _, v, p in s.config.dnsSearch = n.stringOrList(v, p) },
        "domainname": { n, s, _, v, p in s.config.domainname = n.string(v, p) },
        "entrypoint": { n, s, _, v, p in s.config.entrypoint = n.commandLine(v, p) },
        "env_file": { _, _, _, _, _ in },  // read after every other key, so that `environment` wins over the files
        "environment": { n, s, _, v, p in
            for (k, value) in n.keyValuesOptional(v, p) {
                // A bare name takes its value from the project environment, and stays unset without one.
                s.config.environment[k] = value ?? n.environment[k]
            }
        },
        "expose": { n, s, _, v, p in s.config.expose = n.expose(v, p) },
        "extends": refused,
        "external_links": keepStringList,
        "extra_hosts": { n, s, _, v, p in s.config.extraHosts = n.extraHosts(v, p) },
        "gpus": { n, s, _, v, p in s.config.gpus = n.gpus(v, p) },
        "group_add": keepStringList,
        "healthcheck": { n, s, _, v, p in s.config.healthcheck = n.healthcheck(v, p) },
        "hostname": { n, s, _, v, p in s.config.hostname = n.string(v, p) },
        "image": { n, s, _, v, p in s.config.image = n.string(v, p) },
        "init": { n, s, _, v, p in s.config.initProcess = n.bool(v, p) },
        "ipc": { n, s, _, v, p in s.config.ipc = n.string(v, p) },
        "isolation": keepString,
        "label_file": { _, _, _, _, _ in },  // merged under `labels` after every other key
        "labels": { n, s, _, v, p in s.config.labels = n.keyValues(v, p, nullValue: "") },
        "links": keepStringList,
        "logging": { n, s, _, v, p in s.config.logging = n.logging(v, p) },
        "mac_address": keepString,
        "mem_limit": keepBytes,
        "mem_reservation": keepBytes,
        "mem_swappiness": keepInteger,
        "memswap_limit": keepBytes,
        "network_mode": { n, s, _, v, p in s.config.networkMode = n.string(v, p) },
        "networks": { n, s, _, v, p in s.config.networks = n.serviceNetworks(v, p, context: s.context) },
        "oom_kill_disable": { n, s, key, v, p in if let b = n.bool(v, p) { s.config.other[key] = .bool(b) } },
        "oom_score_adj": keepInteger,
        "pid": { n, s, _, v, p in s.config.pid = n.string(v, p) },
        "pids_limit": keepInteger,
        "platform": { n, s, _, v, p in s.config.platform = n.string(v, p) },
        "ports": { n, s, _, v, p in s.config.ports = n.ports(v, p) },
        "post_start": asGiven,
        "pre_stop": asGiven,
        "privileged": { n, s, _, v, p in s.config.privileged = n.bool(v, p) ?? false },
        "profiles": { n, s, _, v, p in
            s.config.profiles = n.stringList(v, p)
            for (i, profile) in s.config.profiles.enumerated() where !Normaliser.isValidName(profile) {
                n.sink.error(v.sequence?[i] ?? v, "\(p)[\(i)]", "invalid profile name \"\(profile)\"")
            }
        },
        "pull_policy": { n, s, _, v, p in
            guard let policy = n.string(v, p) else { return }
            s.config.pullPolicy = policy
            let fixed = ["always", "never", "missing", "if_not_present", "build", "daily", "weekly", "refresh"]
            let every = policy.hasPrefix("every_") && ComposeDuration(parsing: String(policy.dropFirst(6))) != nil
            if !fixed.contains(policy) && !every {
                n.sink.error(v, p, "invalid pull_policy \"\(policy)\" (expected always, never, missing, build, daily, weekly or every_<duration>)")
            }
        },
        "read_only": { n, s, _, v, p in s.config.readOnly = n.bool(v, p) ?? false },
        "restart": { n, s, _, v, p in s.config.restart = n.restartPolicy(v, p) },
        "runtime": keepString,
        "scale": { n, s, key, v, p in if let count = n.replicaCount(v, p) { s.config.other[key] = .int(Int64(count)) } },
        "secrets": { n, s, _, v, p in s.config.secrets = n.fileReferences(v, p, defined: s.context.secrets, kind: "secret") },
        "security_opt": { n, s, _, v, p in s.config.securityOpt = n.stringList(v, p) },
        "shm_size": { n, s, _, v, p in s.config.shmSize = n.bytes(v, p) },
        "stdin_open": { n, s, _, v, p in s.config.stdinOpen = n.bool(v, p) ?? false },
        "stop_grace_period": { n, s, _, v, p in s.config.stopGracePeriod = n.duration(v, p) },
        "stop_signal": { n, s, _, v, p in s.config.stopSignal = n.string(v, p) },
        "storage_opt": { n, s, key, v, p in
            let options = n.stringMap(v, p)
            if !options.isEmpty { s.config.other[key] = .object(options.keys.sorted().map { .init($0, .string(options[$0]!)) }) }
        },
        "sysctls": { n, s, _, v, p in s.config.sysctls = n.keyValues(v, p, nullValue: "") },
        "tmpfs": { n, s, _, v, p in s.config.tmpfs = n.stringOrList(v, p) },
        "tty": { n, s, _, v, p in s.config.tty = n.bool(v, p) ?? false },
        "ulimits": { n, s, _, v, p in s.config.ulimits = n.ulimits(v, p) },
        "user": { n, s, _, v, p in s.config.user = n.string(v, p) },
        "userns_mode": keepString,
        "uts": keepString,
        "volumes": { n, s, _, v, p in s.config.volumes = n.serviceVolumes(v, p, context: s.context) },
        "volumes_from": keepStringList,
        "working_dir": { n, s, _, v, p in s.config.workingDir = n.string(v, p) },
    ]

    // Shared readers of keys kept in `ServiceConfig.other`.

    /// As written (an ignored key: kept for `config` and the hash, never applied).
    static let asGiven: KeyParser = { n, s, key, v, _ in s.config.other[key] = n.plain(v) }
    static let keepString: KeyParser = { n, s, key, v, p in if let text = n.string(v, p) { s.config.other[key] = .string(text) } }
    static let keepInteger: KeyParser = { n, s, key, v, p in if let i = n.int(v, p) { s.config.other[key] = .int(Int64(i)) } }
    static let keepStringList: KeyParser = { n, s, key, v, p in
        let list = n.stringList(v, p)
        if !list.isEmpty { s.config.other[key] = .array(list.map(ComposeValue.string)) }
    }
    /// Bytes, as compose v2 normalises them; `memswap_limit` may be -1 (unlimited).
    static let keepBytes: KeyParser = { n, s, key, v, p in
        if key == "memswap_limit", v.scalar == "-1" { s.config.other[key] = .int(-1) } else if let b = n.bytes(v, p) { s.config.other[key] = .int(b) }
    }
    /// Microseconds: a number, or a duration as compose-go accepts (`400ms`).
    static let keepMicroseconds: KeyParser = { n, s, key, v, p in
        if let text = v.scalar, let i = Int64(text) {
            s.config.other[key] = .int(i)
        } else if let d = n.duration(v, p) {
            s.config.other[key] = .int(d.nanoseconds / 1_000)
        }
    }
    /// A `.refused` key: its reason is the error.
    static let refused: KeyParser = { n, _, key, v, p in
        if case .refused(let reason)? = ServiceKey.named(key)?.disposition { n.sink.error(v, p, reason) }
    }
}

extension ServiceConfig {
    /// Renders one key of the service for `config` and the hash (nil: the key is not written).
    typealias KeyRenderer = @Sendable (ServiceConfig, _ key: String) -> ComposeValue?

    /// How each key of `ServiceKey.all` is rendered; `plainValue()` loops over the table and
    /// `ServiceKeyTableTests` checks it has exactly the table's keys.
    static let keyRenderers: [String: KeyRenderer] = [
        "annotations": fromOther,
        "attach": fromOther,
        "blkio_config": fromOther,
        "build": { s, _ in
            guard let b = s.build else { return nil }
            var bp: [ComposeValue.Pair] = [.init("context", .string(b.context))]
            if let d = b.dockerfile { bp.append(.init("dockerfile", .string(d))) }
            if let a = map(b.args) { bp.append(.init("args", a)) }
            if let t = b.target { bp.append(.init("target", .string(t))) }
            if let l = map(b.labels) { bp.append(.init("labels", l)) }
            return .object(bp)
        },
        "cap_add": { s, _ in strings(s.capAdd) },
        "cap_drop": { s, _ in strings(s.capDrop) },
        "cgroup": fromOther,
        "cgroup_parent": fromOther,
        "command": { s, _ in s.command.map { .array($0.map(ComposeValue.string)) } },
        "configs": { s, _ in s.configs.isEmpty ? nil : .array(s.configs.map { $0.plainValue() }) },
        "container_name": { s, _ in s.containerName.map(ComposeValue.string) },
        "cpu_count": fromOther,
        "cpu_percent": fromOther,
        "cpu_period": fromOther,
        "cpu_quota": fromOther,
        "cpu_rt_period": fromOther,
        "cpu_rt_runtime": fromOther,
        "cpu_shares": fromOther,
        "cpus": fromOther,
        "cpuset": fromOther,
        "credential_spec": fromOther,
        "depends_on": { s, _ in
            s.dependsOn.isEmpty
                ? nil
                : .object(
                    s.dependsOn.map {
                        .init(
                            $0.service,
                            .object([
                                .init("condition", .string($0.condition.rawValue)), .init("required", .bool($0.required)),
                                .init("restart", .bool($0.restart)),
                            ]))
                    })
        },
        "deploy": { s, _ in
            guard let d = s.deploy else { return nil }
            var dp: [ComposeValue.Pair] = []
            if let m = d.mode { dp.append(.init("mode", .string(m))) }
            if let r = d.replicas { dp.append(.init("replicas", .int(Int64(r)))) }
            var res: [ComposeValue.Pair] = []
            if let l = d.limits { res.append(.init("limits", l.plainValue())) }
            if let r = d.reservations { res.append(.init("reservations", r.plainValue())) }
            if !res.isEmpty { dp.append(.init("resources", .object(res))) }
            for k in d.other.keys.sorted() { dp.append(.init(k, d.other[k]!)) }
            return .object(dp)
        },
        "develop": fromOther,
        "device_cgroup_rules": fromOther,
        "devices": { s, _ in
            s.devices.isEmpty
                ? nil
                : .array(
                    s.devices.map {
                        .object([.init("source", .string($0.source)), .init("target", .string($0.target)), .init("permissions", .string($0.permissions))])
                    })
        },
        "dns": { s, _ in strings(s.dns) },
        "dns_opt": fromOther,
        "dns_search": { s, _ in strings(s.dnsSearch) },
        "domainname": { s, _ in s.domainname.map(ComposeValue.string) },
        "entrypoint": { s, _ in s.entrypoint.map { .array($0.map(ComposeValue.string)) } },
        "env_file": { s, _ in strings(s.envFiles) },
        "environment": { s, _ in map(s.environment) },
        "expose": { s, _ in strings(s.expose) },
        "extends": fromOther,
        "external_links": fromOther,
        "extra_hosts": { s, _ in strings(s.extraHosts) },
        "gpus": { s, _ in s.gpus.isEmpty ? nil : .array(s.gpus.map(\.plainValue)) },
        "group_add": fromOther,
        "healthcheck": { s, _ in
            guard let h = s.healthcheck else { return nil }
            var hp: [ComposeValue.Pair] = []
            if let t = h.test { hp.append(.init("test", .array(t.map(ComposeValue.string)))) }
            if let v = h.interval { hp.append(.init("interval", .string(v.description))) }
            if let v = h.timeout { hp.append(.init("timeout", .string(v.description))) }
            if let v = h.startPeriod { hp.append(.init("start_period", .string(v.description))) }
            if let v = h.startInterval { hp.append(.init("start_interval", .string(v.description))) }
            if let r = h.retries { hp.append(.init("retries", .int(Int64(r)))) }
            if h.disable { hp.append(.init("disable", .bool(true))) }
            return .object(hp)
        },
        "hostname": { s, _ in s.hostname.map(ComposeValue.string) },
        "image": { s, _ in s.image.map(ComposeValue.string) },
        "init": { s, _ in s.initProcess.map(ComposeValue.bool) },
        "ipc": { s, _ in s.ipc.map(ComposeValue.string) },
        "isolation": fromOther,
        "label_file": { _, _ in nil },  // merged into `labels`, which carry (and hash) the files' content
        "labels": { s, _ in map(s.labels) },
        "links": fromOther,
        "logging": { s, _ in
            guard let l = s.logging else { return nil }
            var lp: [ComposeValue.Pair] = []
            if let d = l.driver { lp.append(.init("driver", .string(d))) }
            if let o = map(l.options) { lp.append(.init("options", o)) }
            return .object(lp)
        },
        "mac_address": fromOther,
        "mem_limit": fromOther,
        "mem_reservation": fromOther,
        "mem_swappiness": fromOther,
        "memswap_limit": fromOther,
        "network_mode": { s, _ in s.networkMode.map(ComposeValue.string) },
        "networks": { s, _ in
            s.networks.isEmpty
                ? nil
                : .object(
                    s.networks.map { n in
                        var np: [ComposeValue.Pair] = []
                        if !n.aliases.isEmpty { np.append(.init("aliases", .array(n.aliases.map(ComposeValue.string)))) }
                        if let a = n.ipv4Address { np.append(.init("ipv4_address", .string(a))) }
                        if let a = n.ipv6Address { np.append(.init("ipv6_address", .string(a))) }
                        if let pr = n.priority { np.append(.init("priority", .int(Int64(pr)))) }
                        return .init(n.name, np.isEmpty ? .null : .object(np))
                    })
        },
        "oom_kill_disable": fromOther,
        "oom_score_adj": fromOther,
        "pid": { s, _ in s.pid.map(ComposeValue.string) },
        "pids_limit": fromOther,
        "platform": { s, _ in s.platform.map(ComposeValue.string) },
        "ports": { s, _ in
            s.ports.isEmpty
                ? nil
                : .array(
                    s.ports.map { port in
                        var pp: [ComposeValue.Pair] = []
                        if let m = port.mode { pp.append(.init("mode", .string(m))) }
                        if let ip = port.hostIP { pp.append(.init("host_ip", .string(ip))) }
                        pp.append(.init("target", .int(Int64(port.target))))
                        if let pub = port.published { pp.append(.init("published", .string(pub))) }
                        pp.append(.init("protocol", .string(port.protocol)))
                        return .object(pp)
                    })
        },
        "post_start": fromOther,
        "pre_stop": fromOther,
        "privileged": { s, _ in s.privileged ? .bool(true) : nil },
        "profiles": { s, _ in strings(s.profiles) },
        "pull_policy": { s, _ in s.pullPolicy.map(ComposeValue.string) },
        "read_only": { s, _ in s.readOnly ? .bool(true) : nil },
        "restart": { s, _ in s.restart.map(ComposeValue.string) },
        "runtime": fromOther,
        "scale": fromOther,
        "secrets": { s, _ in s.secrets.isEmpty ? nil : .array(s.secrets.map { $0.plainValue() }) },
        "security_opt": { s, _ in strings(s.securityOpt) },
        "shm_size": { s, _ in s.shmSize.map { .int($0) } },
        "stdin_open": { s, _ in s.stdinOpen ? .bool(true) : nil },
        "stop_grace_period": { s, _ in s.stopGracePeriod.map { .string($0.description) } },
        "stop_signal": { s, _ in s.stopSignal.map(ComposeValue.string) },
        "storage_opt": fromOther,
        "sysctls": { s, _ in map(s.sysctls) },
        "tmpfs": { s, _ in strings(s.tmpfs) },
        "tty": { s, _ in s.tty ? .bool(true) : nil },
        "ulimits": { s, _ in
            s.ulimits.isEmpty
                ? nil
                : .object(
                    s.ulimits.keys.sorted().map {
                        .init($0, .object([.init("soft", .int(s.ulimits[$0]!.soft)), .init("hard", .int(s.ulimits[$0]!.hard))]))
                    })
        },
        "user": { s, _ in s.user.map(ComposeValue.string) },
        "userns_mode": fromOther,
        "uts": fromOther,
        "volumes": { s, _ in s.volumes.isEmpty ? nil : .array(s.volumes.map { $0.plainValue() }) },
        "volumes_from": fromOther,
        "working_dir": { s, _ in s.workingDir.map(ComposeValue.string) },
    ]

    /// A key kept in `other` (normalised by its parser), written as it is there.
    static let fromOther: KeyRenderer = { s, key in s.other[key] }

    static func strings(_ list: [String]) -> ComposeValue? { list.isEmpty ? nil : .array(list.map(ComposeValue.string)) }

    static func map(_ dict: [String: String]) -> ComposeValue? {
        dict.isEmpty ? nil : .object(dict.keys.sorted().map { .init($0, .string(dict[$0]!)) })
    }
}
