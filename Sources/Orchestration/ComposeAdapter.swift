import Compose
import DockerEngine
import Foundation

extension Orchestration.DesiredProject {
    /// Translates the normalised compose model into what orchestration converges to: engine
    /// create bodies, the dependency edges, pull policy and the config hash (compose's rule).
    public init(compose project: ComposeProject) {
        typealias O = Orchestration
        let networks = project.networks.keys.sorted().map { key -> O.DesiredNetwork in
            let n = project.networks[key]!
            return O.DesiredNetwork(
                key: key, name: n.name, driver: n.driver, external: n.external, internal: n.internal, attachable: n.attachable, labels: n.labels)
        }
        let volumes = project.volumes.keys.sorted().map { key -> O.DesiredVolume in
            let v = project.volumes[key]!
            return O.DesiredVolume(key: key, name: v.name, driver: v.driver, external: v.external, labels: v.labels)
        }
        let services = project.services.map { O.DesiredService(compose: $0, project: project) }
        self.init(
            name: project.name, workingDirectory: project.workingDirectory, configFiles: project.configFiles, services: services, networks: networks,
            volumes: volumes)
    }
}

extension Orchestration.DesiredService {
    public init(compose s: ServiceConfig, project: ComposeProject) {
        typealias O = Orchestration
        let image = s.image ?? "\(project.name)-\(s.name)"

        let fieldHashes = s.fieldHashes()  // keyed short hashes per field, so a recreate can say which fields changed

        // Every applied key of the declared table, in the table's order, onto one create body.
        var body = O.CreateBody(image: image)
        for key in ServiceKey.appliedNames { O.keyApplications[key]?(s, project, &body) }
        let container = body.finish()

        var replicas = s.deploy?.replicas ?? 1
        if case .int(let scale)? = s.other["scale"] { replicas = Int(scale) }
        let hasHealthcheck = s.healthcheck.map { !$0.disable && ($0.test?.first ?? "NONE") != "NONE" } ?? false
        var dependencies = s.dependsOn.map { d in
            O.Dependency(
                service: d.service, condition: O.DependencyCondition(rawValue: d.condition.rawValue) ?? .serviceStarted, required: d.required,
                restart: d.restart)
        }
        // links, volumes_from and network_mode service: need the other container first (compose-go adds them to depends_on).
        for other in O.implicitDependencies(s)
        where other != s.name && project.service(named: other) != nil && !dependencies.contains(where: { $0.service == other }) {
            dependencies.append(O.Dependency(service: other, condition: .serviceStarted, required: true, restart: false))
        }
        let build = s.build.map { b in
            O.BuildSpec(context: b.context, dockerfile: b.dockerfile ?? "Dockerfile", args: b.args, target: b.target)
        }
        self.init(
            name: s.name, image: image, configHash: s.configHash, fieldHashes: fieldHashes,
            dependencies: dependencies, replicas: replicas,
            pullPolicy: s.pullPolicy.flatMap(O.PullPolicy.init(composeValue:)) ?? .missing,
            build: build, hasHealthcheck: hasHealthcheck, containerName: s.containerName, container: container,
            bindSources: body.bindSources, publishedPorts: body.publishedPorts,
            stopTimeout: s.stopGracePeriod.map { Int($0.nanoseconds / 1_000_000_000) }
        )
        createAfter = O.implicitDependencies(s).filter { $0 != s.name && project.service(named: $0) != nil }
        copies = body.copies
    }
}

extension Orchestration {
    /// The create body of one service while the keys are applied, plus what orchestration needs
    /// besides it (bind sources to check, published ports to probe).
    struct CreateBody {
        var config = DockerEngine.ContainerConfig()
        var host = DockerEngine.HostConfig()
        var binds: [String] = []
        var mounts: [DockerEngine.Mount] = []
        var tmpfs: [String: String] = [:]
        var exposed: [String: DockerEngine.Empty] = [:]
        var portBindings: [String: [DockerEngine.PortBinding]] = [:]
        var deviceRequests: [DockerEngine.DeviceRequest] = []
        /// Secrets and configs copied into the container before it starts.
        var copies: [Orchestration.FileCopy] = []
        var links: [String] = []
        var bindSources: [String] = []
        var publishedPorts: [PublishedPort] = []

        init(image: String) { config.image = image }

        /// The body, with the collections that several keys feed set once (nil when empty).
        func finish() -> DockerEngine.ContainerConfig {
            var config = self.config
            var host = self.host
            config.exposedPorts = exposed.isEmpty ? nil : exposed
            host.binds = binds.isEmpty ? nil : binds
            host.mounts = mounts.isEmpty ? nil : mounts
            host.tmpfs = tmpfs.isEmpty ? nil : tmpfs
            host.portBindings = portBindings.isEmpty ? nil : portBindings
            host.deviceRequests = deviceRequests.isEmpty ? nil : deviceRequests
            host.links = links.isEmpty ? nil : links
            config.hostConfig = host
            return config
        }
    }

    typealias KeyApplication = @Sendable (ServiceConfig, ComposeProject, inout CreateBody) -> Void

    /// What each `.applied` key of `ServiceKey.all` does to the create body. The adapter loops over
    /// the table; `ComposeAdapterTests` checks that every applied key has an entry here and that
    /// setting it changes the body.
    static let keyApplications: [String: KeyApplication] = [
        "blkio_config": { s, _, b in
            guard let blkio = s.other["blkio_config"] else { return }
            if case .int(let w)? = blkio["weight"] { b.host.blkioWeight = Int(w) }
            func entries(_ key: String, _ field: String) -> [(String, Int64)]? {
                guard case .array(let items)? = blkio[key] else { return nil }
                let list = items.compactMap { item -> (String, Int64)? in
                    guard case .string(let path)? = item["path"], case .int(let n)? = item[field] else { return nil }
                    return (path, n)
                }
                return list.isEmpty ? nil : list
            }
            b.host.blkioWeightDevice = entries("weight_device", "weight")?.map { DockerEngine.WeightDevice(path: $0.0, weight: Int($0.1)) }
            b.host.blkioDeviceReadBps = entries("device_read_bps", "rate")?.map { DockerEngine.ThrottleDevice(path: $0.0, rate: $0.1) }
            b.host.blkioDeviceWriteBps = entries("device_write_bps", "rate")?.map { DockerEngine.ThrottleDevice(path: $0.0, rate: $0.1) }
            b.host.blkioDeviceReadIOps = entries("device_read_iops", "rate")?.map { DockerEngine.ThrottleDevice(path: $0.0, rate: $0.1) }
            b.host.blkioDeviceWriteIOps = entries("device_write_iops", "rate")?.map { DockerEngine.ThrottleDevice(path: $0.0, rate: $0.1) }
        },
        "cap_add": { s, _, b in b.host.capAdd = s.capAdd.isEmpty ? nil : s.capAdd },
        "cap_drop": { s, _, b in b.host.capDrop = s.capDrop.isEmpty ? nil : s.capDrop },
        "cgroup": { s, _, b in b.host.cgroupnsMode = s.other.string("cgroup") },
        "cgroup_parent": { s, _, b in b.host.cgroupParent = s.other.string("cgroup_parent") },
        "command": { s, _, b in b.config.cmd = s.command },
        "configs": { s, p, b in b.mountFiles(s.configs, objects: p.configs, defaultTarget: { "/\($0)" }, defaultMode: 0o444) },
        // The create call's name (`DesiredService.containerName`), not a body field.
        "container_name": { _, _, _ in },
        "cpu_count": { s, _, b in b.host.cpuCount = s.other.int("cpu_count") },
        "cpu_percent": { s, _, b in b.host.cpuPercent = s.other.int("cpu_percent") },
        "cpu_period": { s, _, b in b.host.cpuPeriod = s.other.int("cpu_period") },
        "cpu_quota": { s, _, b in b.host.cpuQuota = s.other.int("cpu_quota") },
        "cpu_rt_period": { s, _, b in b.host.cpuRealtimePeriod = s.other.int("cpu_rt_period") },
        "cpu_rt_runtime": { s, _, b in b.host.cpuRealtimeRuntime = s.other.int("cpu_rt_runtime") },
        "cpu_shares": { s, _, b in b.host.cpuShares = s.other.int("cpu_shares").map(Int.init) },
        // deploy.resources.limits.cpus wins, as in compose v2.
        "cpus": { s, _, b in
            guard s.deploy?.limits?.cpus == nil else { return }
            if case .double(let cpus)? = s.other["cpus"] { b.host.nanoCpus = nanoCPUs(cpus) }
            if case .int(let cpus)? = s.other["cpus"] { b.host.nanoCpus = nanoCPUs(Double(cpus)) }
            if case .string(let text)? = s.other["cpus"], let cpus = Double(text) { b.host.nanoCpus = nanoCPUs(cpus) }
        },
        "cpuset": { s, _, b in b.host.cpusetCpus = s.other.string("cpuset") },
        "deploy": { s, _, b in
            if let limits = s.deploy?.limits {
                if let m = limits.memory { b.host.memory = m }
                if let c = limits.cpus { b.host.nanoCpus = nanoCPUs(c) }
                if let n = limits.pids { b.host.pidsLimit = n }
            }
            if let reservations = s.deploy?.reservations {
                // A CPU reservation is a swarm option and pids only a limit (compose v2).
                if let m = reservations.memory { b.host.memoryReservation = m }
                b.deviceRequests += reservations.devices.map { deviceRequest($0, addGPU: false) }
            }
        },
        "device_cgroup_rules": { s, _, b in b.host.deviceCgroupRules = s.other.strings("device_cgroup_rules") },
        "devices": { s, _, b in
            b.host.devices =
                s.devices.isEmpty
                ? nil : s.devices.map { DockerEngine.DeviceMapping(pathOnHost: $0.source, pathInContainer: $0.target, cgroupPermissions: $0.permissions) }
        },
        "dns": { s, _, b in b.host.dns = s.dns.isEmpty ? nil : s.dns },
        "dns_opt": { s, _, b in b.host.dnsOptions = s.other.strings("dns_opt") },
        "dns_search": { s, _, b in b.host.dnsSearch = s.dnsSearch.isEmpty ? nil : s.dnsSearch },
        "domainname": { s, _, b in b.config.domainname = s.domainname },
        "entrypoint": { s, _, b in b.config.entrypoint = s.entrypoint },
        // env_file entries are merged into `environment` by the normaliser.
        "env_file": { s, _, b in b.config.env = s.environmentList.isEmpty ? nil : s.environmentList },
        "environment": { s, _, b in b.config.env = s.environmentList.isEmpty ? nil : s.environmentList },
        "expose": { s, _, b in
            for e in s.expose { b.exposed[e.contains("/") ? e : "\(e)/tcp"] = DockerEngine.Empty() }
        },
        "external_links": { s, _, b in
            for link in s.other.strings("external_links") ?? [] {
                let parts = link.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
                b.links.append("\(parts[0]):\(parts.count > 1 ? parts[1] : parts[0])")
            }
        },
        "extra_hosts": { s, _, b in b.host.extraHosts = s.extraHosts.isEmpty ? nil : s.extraHosts },
        "gpus": { s, _, b in b.deviceRequests += s.gpus.map { deviceRequest($0, addGPU: true) } },
        "group_add": { s, _, b in b.host.groupAdd = s.other.strings("group_add") },
        "healthcheck": { s, _, b in
            guard let h = s.healthcheck else { return }
            var health = DockerEngine.HealthConfig(test: h.disable ? ["NONE"] : h.test)
            if !h.disable {
                health.interval = h.interval?.nanoseconds
                health.timeout = h.timeout?.nanoseconds
                health.retries = h.retries
                health.startPeriod = h.startPeriod?.nanoseconds
                health.startInterval = h.startInterval?.nanoseconds
            }
            b.config.healthcheck = health
        },
        "hostname": { s, _, b in b.config.hostname = s.hostname },
        // `CreateBody.init` sets the image (a build's tag when `image:` is absent).
        "image": { _, _, _ in },
        "init": { s, _, b in b.host.initProcess = s.initProcess },
        "ipc": { s, _, b in b.host.ipcMode = s.ipc },
        "isolation": { s, _, b in b.host.isolation = s.other.string("isolation") },
        "labels": { s, _, b in b.config.labels = s.labels.isEmpty ? nil : s.labels },
        // The normaliser merges the files' labels under `labels`, so they reach the body there.
        "label_file": { _, _, _ in },
        "links": { s, p, b in
            // `service[:alias]`: each container of the service under the alias, `service-1` and
            // `project-service-1`, as compose v2 does (getLinks; the number is the linking container's).
            for link in s.other.strings("links") ?? [] {
                let parts = link.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
                let service = parts[0], alias = parts.count > 1 ? parts[1] : parts[0]
                let linked = p.service(named: service)
                let count = linked.flatMap { $0.containerName == nil ? $0.deploy?.replicas : 1 } ?? 1
                for n in 1...max(count, 1) {
                    let target = Naming.containerName(project: p.name, service: service, number: n, explicit: linked?.containerName)
                    b.links += ["\(target):\(alias)", "\(target):\(service)-1", "\(target):\(p.name)-\(service)-1"]
                }
            }
        },
        "logging": { s, _, b in
            guard let l = s.logging, let driver = l.driver else { return }
            b.host.logConfig = DockerEngine.LogConfig(type: driver, config: l.options.isEmpty ? nil : l.options)
        },
        "mac_address": { s, _, b in b.config.macAddress = s.other.string("mac_address") },
        "mem_limit": { s, _, b in if s.deploy?.limits?.memory == nil, let m = s.other.int("mem_limit") { b.host.memory = m } },
        "mem_reservation": { s, _, b in if s.deploy?.reservations?.memory == nil, let m = s.other.int("mem_reservation") { b.host.memoryReservation = m } },
        "mem_swappiness": { s, _, b in b.host.memorySwappiness = s.other.int("mem_swappiness") },
        "memswap_limit": { s, _, b in b.host.memorySwap = s.other.int("memswap_limit") },
        "network_mode": { s, p, b in
            guard let mode = s.networkMode else { return }
            if mode.hasPrefix("service:") {
                let other = String(mode.dropFirst("service:".count))
                b.host.networkMode = "container:" + (p.service(named: other)?.containerName ?? Naming.containerName(project: p.name, service: other, number: 1))
            } else {
                b.host.networkMode = mode
            }
        },
        "networks": { s, p, b in
            guard s.networkMode == nil, !s.networks.isEmpty else { return }
            var endpoints: [String: DockerEngine.EndpointSettings] = [:]
            for n in s.networks {
                var aliases = [s.name]
                for a in n.aliases where !aliases.contains(a) { aliases.append(a) }
                var endpoint = DockerEngine.EndpointSettings(aliases: aliases)
                if n.ipv4Address != nil || n.ipv6Address != nil {
                    endpoint.ipamConfig = DockerEngine.EndpointSettings.IPAMConfig(ipv4Address: n.ipv4Address, ipv6Address: n.ipv6Address)
                }
                endpoints[p.networks[n.name]?.name ?? n.name] = endpoint
            }
            b.config.networkingConfig = DockerEngine.NetworkingConfig(endpointsConfig: endpoints)
            // The highest priority network is the primary one (created with the container).
            if let primary = s.networks.max(by: { ($0.priority ?? 0, $1.name) < ($1.priority ?? 0, $0.name) }) {
                b.host.networkMode = p.networks[primary.name]?.name ?? primary.name
            }
        },
        "oom_kill_disable": { s, _, b in if case .bool(let v)? = s.other["oom_kill_disable"] { b.host.oomKillDisable = v } },
        "oom_score_adj": { s, _, b in b.host.oomScoreAdj = s.other.int("oom_score_adj").map(Int.init) },
        "pid": { s, _, b in b.host.pidMode = s.pid },
        "pids_limit": { s, _, b in if s.deploy?.limits?.pids == nil, let n = s.other.int("pids_limit") { b.host.pidsLimit = n } },
        "ports": { s, _, b in
            for port in s.ports {
                let key = "\(port.target)/\(port.protocol)"
                b.exposed[key] = DockerEngine.Empty()
                b.portBindings[key, default: []].append(DockerEngine.PortBinding(hostIP: port.hostIP, hostPort: port.published))
                if let text = port.published, let number = Int(text) {
                    b.publishedPorts.append(PublishedPort(hostIP: port.hostIP ?? "", hostPort: number, proto: port.protocol))
                }
            }
        },
        "privileged": { s, _, b in b.host.privileged = s.privileged ? true : nil },
        "read_only": { s, _, b in b.host.readonlyRootfs = s.readOnly ? true : nil },
        "restart": { s, _, b in
            guard let r = s.restart else { return }
            let parts = r.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            // An empty policy is "no", as compose and the engine take it.
            b.host.restartPolicy = DockerEngine.RestartPolicy(
                name: parts[0].isEmpty ? "no" : String(parts[0]), maximumRetryCount: parts.count > 1 ? Int(parts[1]) : nil)
        },
        "runtime": { s, _, b in b.host.runtime = s.other.string("runtime") },
        "secrets": { s, p, b in b.mountFiles(s.secrets, objects: p.secrets, defaultTarget: { "/run/secrets/\($0)" }, defaultMode: 0o444) },
        "security_opt": { s, _, b in b.host.securityOpt = s.securityOpt.isEmpty ? nil : s.securityOpt },
        "shm_size": { s, _, b in b.host.shmSize = s.shmSize },
        "stdin_open": { s, _, b in b.config.openStdin = s.stdinOpen ? true : nil },
        "stop_grace_period": { s, _, b in b.config.stopTimeout = s.stopGracePeriod.map { Int($0.nanoseconds / 1_000_000_000) } },
        "stop_signal": { s, _, b in b.config.stopSignal = s.stopSignal },
        "storage_opt": { s, _, b in
            guard case .object(let pairs)? = s.other["storage_opt"] else { return }
            var options: [String: String] = [:]
            for pair in pairs { if case .string(let v) = pair.value { options[pair.key] = v } }
            b.host.storageOpt = options.isEmpty ? nil : options
        },
        "sysctls": { s, _, b in b.host.sysctls = s.sysctls.isEmpty ? nil : s.sysctls },
        "tmpfs": { s, _, b in
            for t in s.tmpfs {
                let parts = t.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
                guard let path = parts.first, !path.isEmpty else { continue }
                b.tmpfs[String(path)] = parts.count > 1 ? String(parts[1]) : ""
            }
        },
        "tty": { s, _, b in b.config.tty = s.tty ? true : nil },
        "ulimits": { s, _, b in
            b.host.ulimits =
                s.ulimits.isEmpty ? nil : s.ulimits.keys.sorted().map { DockerEngine.Ulimit(name: $0, soft: s.ulimits[$0]!.soft, hard: s.ulimits[$0]!.hard) }
        },
        "user": { s, _, b in b.config.user = s.user },
        "userns_mode": { s, _, b in b.host.usernsMode = s.other.string("userns_mode") },
        "uts": { s, _, b in b.host.utsMode = s.other.string("uts") },
        "volumes": { s, p, b in
            for v in s.volumes {
                switch v.type {
                case .bind:
                    guard let source = v.source else { continue }
                    if v.createHostPath == true {
                        // Short syntax: the engine creates a missing host directory, as compose does.
                        var opts: [String] = []
                        if v.readOnly { opts.append("ro") }
                        if let sel = v.selinux { opts.append(sel) }
                        if let prop = v.propagation { opts.append(prop) }
                        b.binds.append("\(source):\(v.target)" + (opts.isEmpty ? "" : ":" + opts.joined(separator: ",")))
                    } else {
                        b.mounts.append(DockerEngine.Mount(type: "bind", source: source, target: v.target, readOnly: v.readOnly ? true : nil))
                        b.bindSources.append(source)
                    }
                case .volume:
                    let name = v.source.map { p.volumes[$0]?.name ?? $0 }
                    b.mounts.append(DockerEngine.Mount(type: "volume", source: name, target: v.target, readOnly: v.readOnly ? true : nil))
                case .tmpfs:
                    var opts: [String] = []
                    if let size = v.tmpfsSize { opts.append("size=\(size)") }
                    if let mode = v.tmpfsMode { opts.append("mode=\(String(mode, radix: 8))") }
                    b.tmpfs[v.target] = opts.joined(separator: ",")
                default:
                    continue
                }
            }
        },
        "volumes_from": { s, p, b in
            // `service[:ro|rw]` -> the service's container; `container:name[:ro|rw]` as given.
            let entries = (s.other.strings("volumes_from") ?? []).map { entry -> String in
                if entry.hasPrefix("container:") { return String(entry.dropFirst("container:".count)) }
                let parts = entry.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
                let name = p.service(named: parts[0])?.containerName ?? Naming.containerName(project: p.name, service: parts[0], number: 1)
                return parts.count > 1 ? "\(name):\(parts[1])" : name
            }
            b.host.volumesFrom = entries.isEmpty ? nil : entries
        },
        "working_dir": { s, _, b in b.config.workingDir = s.workingDir },
    ]

    /// Services a service needs created first without saying so in depends_on.
    static func implicitDependencies(_ s: ServiceConfig) -> [String] {
        var out: [String] = []
        for link in s.other.strings("links") ?? [] { out.append(String(link.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)[0])) }
        for entry in s.other.strings("volumes_from") ?? [] where !entry.hasPrefix("container:") {
            out.append(String(entry.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)[0]))
        }
        if let mode = s.networkMode, mode.hasPrefix("service:") { out.append(String(mode.dropFirst("service:".count))) }
        return out
    }

    /// `cpus` as the engine's NanoCpus; nil when it is not a finite number the engine can take.
    static func nanoCPUs(_ cpus: Double) -> Int64? {
        let nanos = (cpus * 1_000_000_000).rounded()
        guard nanos.isFinite, nanos >= 0, nanos < Double(Int64.max) else { return nil }
        return Int64(nanos)
    }

    /// A compose device request as the engine's; `gpus:` always asks for the `gpu` capability (compose v2).
    static func deviceRequest(_ d: DeviceRequest, addGPU: Bool) -> DockerEngine.DeviceRequest {
        var capabilities = d.capabilities
        if addGPU && !capabilities.contains("gpu") { capabilities.append("gpu") }
        return DockerEngine.DeviceRequest(
            driver: d.driver, count: d.count, deviceIDs: d.deviceIDs.isEmpty ? nil : d.deviceIDs,
            capabilities: capabilities.isEmpty ? nil : [capabilities], options: d.options.isEmpty ? nil : d.options
        )
    }
}

extension Orchestration.CreateBody {
    /// File-based secrets and configs are bind-mounted read-only, as compose does outside swarm.
    /// The others (environment, content, external) are warned about by the compose loader.
    mutating func mountFiles(_ refs: [FileReference], objects: [String: FileObjectConfig], defaultTarget: (String) -> String, defaultMode: Int) {
        for ref in refs {
            if let content = ref.content {
                // Sourced from `environment` or `content`: copied in before start (compose v2's
                // injectFileReferences): mode 0444 unless given, owner from uid/gid (numbers).
                copies.append(
                    Orchestration.FileCopy(
                        path: ref.target.isEmpty ? defaultTarget(ref.source) : ref.target, content: Data(content.utf8),
                        mode: ref.mode ?? defaultMode, uid: ref.uid.flatMap { Int($0) }, gid: ref.gid.flatMap { Int($0) }))
                continue
            }
            guard let file = objects[ref.source]?.file else { continue }
            mounts.append(DockerEngine.Mount(type: "bind", source: file, target: ref.target.isEmpty ? defaultTarget(ref.source) : ref.target, readOnly: true))
            bindSources.append(file)
        }
    }
}

extension [String: ComposeValue] {
    func string(_ key: String) -> String? {
        if case .string(let s)? = self[key] { return s }
        return nil
    }

    func int(_ key: String) -> Int64? {
        if case .int(let n)? = self[key] { return n }
        return nil
    }

    func strings(_ key: String) -> [String]? {
        guard case .array(let items)? = self[key] else { return nil }
        let list = items.compactMap { item -> String? in
            if case .string(let s) = item { return s }
            if case .int(let n) = item { return String(n) }
            return nil
        }
        return list.isEmpty ? nil : list
    }
}
