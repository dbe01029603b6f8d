import Compose
import DockerEngine
import Foundation

extension Orchestration.SwarmProject {
    /// The swarm deployment of a compose project loaded with `swarm: true`. `images` gives the
    /// reference the nodes pull for an image (the registry's name after `SwarmImages` pushed it);
    /// `read` gives the bytes of a file (a config, a secret, a repository file mounted by a service).
    /// Everything else is a pure function of the model: the same project gives the same specs and hashes.
    public init(
        compose project: ComposeProject, images: (String) -> String = { $0 }, key: ConfigHashKey = .host,
        read: (String) throws -> Data
    ) throws {
        typealias O = Orchestration
        let ns = project.name
        let stackLabels = [O.SwarmLabels.namespace: ns]
        var objects = O.SwarmObjects(namespace: ns, key: key)
        for k in project.configs.keys.sorted() { try objects.add(config: k, project.configs[k]!, read: read) }
        for k in project.secrets.keys.sorted() { try objects.add(secret: k, project.secrets[k]!, read: read) }
        // Repository files and directories mounted by a service become configs, one per file.
        for s in project.services {
            for v in s.volumes where v.type == .bind {
                guard let source = v.source, SwarmRules.isRepositoryPath(source, projectDirectory: project.workingDirectory) else { continue }
                for file in SwarmRules.files(under: source) ?? [] { try objects.add(file: file.path, read: read) }
            }
        }
        let networks = project.networks.keys.sorted().map { k -> O.SwarmNetwork in
            let n = project.networks[k]!
            let driver = n.driver == nil || n.driver == "bridge" ? "overlay" : n.driver
            var labels = n.labels.merging(stackLabels) { a, _ in a }
            labels["com.docker.compose.project"] = ns
            labels["com.docker.compose.network"] = k
            let request = DockerEngine.NetworkCreateRequest(
                name: n.name, driver: driver, internal: n.internal ? true : nil, attachable: true,
                options: n.driverOpts.isEmpty ? nil : n.driverOpts, labels: labels)
            return O.SwarmNetwork(key: k, name: n.name, external: n.external, request: request)
        }
        let volumes = Set(
            project.services.flatMap { s in
                s.volumes.compactMap { v in v.type == .volume ? v.source.flatMap { project.volumes[$0] }.flatMap { $0.external ? nil : $0.name } : nil }
            })
        let services = project.services.map {
            O.SwarmService(compose: $0, project: project, image: images($0.image ?? "\(ns)-\($0.name)"), objects: objects, key: key)
        }
        self.init(namespace: ns, services: services, networks: networks, configs: objects.configs, secrets: objects.secrets, volumes: volumes.sorted())
    }
}

extension Orchestration {
    /// The configs and secrets of one stack while they are named.
    struct SwarmObjects {
        let namespace: String
        let key: ConfigHashKey
        var configs: [SwarmObject] = []
        var secrets: [SwarmObject] = []
        /// Compose key (or file path) -> engine name.
        var configNames: [String: String] = [:]
        var secretNames: [String: String] = [:]

        init(namespace: String, key: ConfigHashKey) {
            self.namespace = namespace
            self.key = key
        }

        /// `<namespace>_<stem>_<hash>`, within the 64 characters Swarm allows.
        func name(_ stem: String, _ data: Data, domain: String) -> String {
            let hash = key.hash(domain: domain, data).prefix(12)
            let clean = String(
                stem.unicodeScalars.map {
                    $0.properties.isASCIIHexDigit || ("a"..."z").contains($0) || ("A"..."Z").contains($0)
                        || ("0"..."9").contains($0) || $0 == "-" || $0 == "_" || $0 == "." ? Character($0) : "-"
                })
            let room = 64 - namespace.count - hash.count - 2
            return "\(namespace)_\(clean.suffix(max(room, 1)))_\(hash)"
        }

        func data(_ o: FileObjectConfig, read: (String) throws -> Data) throws -> Data? {
            if let file = o.file { return try read(file) }
            if let content = o.content { return Data(content.utf8) }
            return nil
        }

        mutating func add(config k: String, _ o: FileObjectConfig, read: (String) throws -> Data) throws {
            if o.external { configNames[k] = o.name; return }
            guard let bytes = try data(o, read: read) else { return }
            let name = name(k, bytes, domain: "swarm-config")
            configNames[k] = name
            configs.append(SwarmObject(name: name, data: bytes, labels: [SwarmLabels.namespace: namespace, SwarmLabels.source: k], external: false))
        }

        mutating func add(secret k: String, _ o: FileObjectConfig, read: (String) throws -> Data) throws {
            if o.external { secretNames[k] = o.name; return }
            guard let bytes = try data(o, read: read) else { return }
            let name = name(k, bytes, domain: "swarm-secret")
            secretNames[k] = name
            secrets.append(SwarmObject(name: name, data: bytes, labels: [SwarmLabels.namespace: namespace, SwarmLabels.source: k], external: false))
        }

        mutating func add(file path: String, read: (String) throws -> Data) throws {
            guard configNames["file:" + path] == nil else { return }
            let bytes = try read(path)
            let stem = URL(fileURLWithPath: path).lastPathComponent
            let name = name(stem, bytes, domain: "swarm-config")
            configNames["file:" + path] = name
            if !configs.contains(where: { $0.name == name }) {
                configs.append(SwarmObject(name: name, data: bytes, labels: [SwarmLabels.namespace: namespace, SwarmLabels.source: path], external: false))
            }
        }
    }

    /// A service spec while the keys are applied.
    struct SwarmBody {
        var container = DockerEngine.ContainerSpec()
        var task = DockerEngine.TaskSpec()
        var spec = DockerEngine.ServiceSpec()
        var mounts: [DockerEngine.Mount] = []
        var configs: [DockerEngine.ConfigReference] = []
        var secrets: [DockerEngine.SecretReference] = []
        var ports: [DockerEngine.EndpointPortConfig] = []
        var limits = DockerEngine.Limit()
        var reservations = DockerEngine.ResourceObject()
        let objects: SwarmObjects

        func finish() -> DockerEngine.ServiceSpec {
            var container = self.container
            container.mounts = mounts.isEmpty ? nil : mounts
            container.configs = configs.isEmpty ? nil : configs
            container.secrets = secrets.isEmpty ? nil : secrets
            var task = self.task
            task.containerSpec = container
            let hasLimits = limits != DockerEngine.Limit(), hasReservations = reservations != DockerEngine.ResourceObject()
            if hasLimits || hasReservations {
                task.resources = DockerEngine.ResourceRequirements(limits: hasLimits ? limits : nil, reservations: hasReservations ? reservations : nil)
            }
            var spec = self.spec
            spec.taskTemplate = task
            if !ports.isEmpty {
                spec.endpointSpec = DockerEngine.EndpointSpec(mode: spec.endpointSpec?.mode, ports: ports)
            }
            return spec
        }
    }
}

extension Orchestration.SwarmService {
    init(compose s: ServiceConfig, project: ComposeProject, image: String, objects: Orchestration.SwarmObjects, key: ConfigHashKey) {
        typealias O = Orchestration
        let ns = project.name
        var body = O.SwarmBody(objects: objects)
        body.container.image = image
        for k in ServiceKey.swarmAppliedNames { O.swarmKeyApplications[k]?(s, project, &body) }
        let global = s.deploy?.mode == "global"
        var replicas = s.deploy?.replicas ?? 1
        if case .int(let scale)? = s.other["scale"] { replicas = Int(scale) }
        body.spec.mode = global ? .global : .replicated(UInt64(max(replicas, 0)))
        var spec = body.finish()
        spec.name = "\(ns)_\(s.name)"
        var labels = spec.labels ?? [:]
        labels[O.SwarmLabels.namespace] = ns
        labels[O.SwarmLabels.image] = s.image ?? image
        labels["com.docker.compose.project"] = ns
        labels["com.docker.compose.service"] = s.name
        spec.labels = labels
        var containerLabels = spec.taskTemplate?.containerSpec?.labels ?? [:]
        containerLabels[O.SwarmLabels.namespace] = ns
        containerLabels["com.docker.compose.project"] = ns
        containerLabels["com.docker.compose.service"] = s.name
        spec.taskTemplate?.containerSpec?.labels = containerLabels
        let hash = O.SwarmService.specHash(spec, key: key)
        spec.labels?[O.SwarmLabels.specHash] = hash
        self.init(
            service: s.name, name: "\(ns)_\(s.name)", spec: spec, specHash: hash,
            dependencies: s.dependsOn.map { d in
                O.Dependency(
                    service: d.service, condition: O.DependencyCondition(rawValue: d.condition.rawValue) ?? .serviceStarted,
                    required: d.required, restart: d.restart)
            },
            hasHealthcheck: s.healthcheck.map { !$0.disable && ($0.test?.first ?? "NONE") != "NONE" } ?? false,
            global: global, replicas: global ? 0 : replicas, image: image,
            build: s.build.map { O.BuildSpec(context: $0.context, dockerfile: $0.dockerfile ?? "Dockerfile", args: $0.args, target: $0.target) })
    }

    /// The keyed hash of a spec (its own hash label left out): what `SwarmPlanner` compares.
    public static func specHash(_ spec: DockerEngine.ServiceSpec, key: ConfigHashKey = .host) -> String {
        var copy = spec
        copy.labels?[Orchestration.SwarmLabels.specHash] = nil
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = (try? encoder.encode(copy)) ?? Data()
        return key.hash(domain: "swarm-spec", data)
    }
}

extension Orchestration {
    typealias SwarmKeyApplication = @Sendable (ServiceConfig, ComposeProject, inout SwarmBody) -> Void

    /// A single-host key application run on its own, to take the engine value it computes
    /// (healthcheck, ulimits, logging: one translation for both targets).
    static func singleHost(_ key: String, _ s: ServiceConfig, _ p: ComposeProject) -> DockerEngine.ContainerConfig {
        var body = CreateBody(image: "")
        keyApplications[key]?(s, p, &body)
        return body.finish()
    }

    static func duration(_ value: ComposeValue?) -> Int64? {
        switch value {
        case .string(let text)?: ComposeDuration(parsing: text)?.nanoseconds
        case .int(let n)?: n * 1_000_000_000
        default: nil
        }
    }

    static func number(_ value: ComposeValue?) -> Double? {
        switch value {
        case .int(let n)?: Double(n)
        case .double(let d)?: d
        case .string(let text)?: Double(text)
        default: nil
        }
    }

    static func updateConfig(_ value: ComposeValue?) -> DockerEngine.UpdateConfig? {
        guard let value else { return nil }
        var u = DockerEngine.UpdateConfig()
        u.parallelism = number(value["parallelism"]).map { UInt64(max($0, 0)) }
        u.delay = duration(value["delay"])
        u.monitor = duration(value["monitor"])
        u.maxFailureRatio = number(value["max_failure_ratio"])
        if case .string(let a)? = value["failure_action"] { u.failureAction = DockerEngine.FailureAction(rawValue: a) }
        if case .string(let o)? = value["order"] { u.order = DockerEngine.UpdateOrder(rawValue: o) }
        return u
    }

    /// What each swarm-`.applied` key of `ServiceKey.all` does to the service spec. The adapter loops
    /// over the table; `SwarmKeyTableTests` checks that every such key has an entry here and that
    /// setting it changes the spec.
    static let swarmKeyApplications: [String: SwarmKeyApplication] = [
        "cap_add": { s, _, b in b.container.capabilityAdd = s.capAdd.isEmpty ? nil : s.capAdd },
        "cap_drop": { s, _, b in b.container.capabilityDrop = s.capDrop.isEmpty ? nil : s.capDrop },
        "command": { s, _, b in b.container.args = s.command },
        "configs": { s, _, b in
            for ref in s.configs {
                guard let name = b.objects.configNames[ref.source] else { continue }
                let target = ref.target.isEmpty ? "/\(ref.source)" : ref.target
                b.configs.append(
                    DockerEngine.ConfigReference(
                        configID: "", configName: name,
                        file: DockerEngine.ReferenceFileTarget(
                            name: target, uid: ref.uid ?? "0", gid: ref.gid ?? "0", mode: ref.mode.map(UInt32.init) ?? 0o444)))
            }
        },
        "cpus": { s, _, b in
            if s.deploy?.limits?.cpus == nil, case .double(let c)? = s.other["cpus"] { b.limits.nanoCPUs = nanoCPUs(c) }
        },
        "deploy": { s, _, b in
            guard let d = s.deploy else { return }
            if let l = d.limits {
                if let c = l.cpus { b.limits.nanoCPUs = nanoCPUs(c) }
                if let m = l.memory { b.limits.memoryBytes = m }
                if let p = l.pids { b.limits.pids = p }
            }
            if let r = d.reservations {
                if let c = r.cpus { b.reservations.nanoCPUs = nanoCPUs(c) }
                if let m = r.memory { b.reservations.memoryBytes = m }
                if !r.genericResources.isEmpty {
                    b.reservations.genericResources = r.genericResources.map {
                        DockerEngine.GenericResource(discreteResourceSpec: .init(kind: $0.kind, value: $0.value))
                    }
                }
            }
            if let labels = d.other["labels"] {
                var out: [String: String] = [:]
                if case .object(let pairs) = labels { for p in pairs { if case .string(let v) = p.value { out[p.key] = v } } }
                if case .array(let items) = labels {
                    for case .string(let item) in items {
                        let kv = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                        out[String(kv[0])] = kv.count > 1 ? String(kv[1]) : ""
                    }
                }
                b.spec.labels = out.isEmpty ? nil : out
            }
            if let p = d.other["placement"] {
                var placement = DockerEngine.Placement()
                if case .array(let items)? = p["constraints"] {
                    placement.constraints = items.compactMap { if case .string(let c) = $0 { c } else { nil } }
                }
                if case .array(let items)? = p["preferences"] {
                    placement.preferences = items.compactMap {
                        if case .string(let spread)? = $0["spread"] { .init(spread: .init(spreadDescriptor: spread)) } else { nil }
                    }
                }
                placement.maxReplicas = number(p["max_replicas_per_node"]).map { UInt64(max($0, 0)) }
                b.task.placement = placement
            }
            if let r = d.other["restart_policy"] {
                var policy = DockerEngine.TaskRestartPolicy()
                if case .string(let c)? = r["condition"] { policy.condition = DockerEngine.RestartCondition(rawValue: c) }
                policy.delay = duration(r["delay"])
                policy.window = duration(r["window"])
                policy.maxAttempts = number(r["max_attempts"]).map { UInt64(max($0, 0)) }
                b.task.restartPolicy = policy
            }
            b.spec.updateConfig = updateConfig(d.other["update_config"])
            b.spec.rollbackConfig = updateConfig(d.other["rollback_config"])
            if case .string(let mode)? = d.other["endpoint_mode"] {
                b.spec.endpointSpec = DockerEngine.EndpointSpec(mode: DockerEngine.ResolutionMode(rawValue: mode), ports: b.spec.endpointSpec?.ports)
            }
        },
        "dns": { s, _, b in if !s.dns.isEmpty { b.container.dnsConfig = (b.container.dnsConfig ?? .init()).with(nameservers: s.dns) } },
        "dns_opt": { s, _, b in if let o = s.other.strings("dns_opt") { b.container.dnsConfig = (b.container.dnsConfig ?? .init()).with(options: o) } },
        "dns_search": { s, _, b in if !s.dnsSearch.isEmpty { b.container.dnsConfig = (b.container.dnsConfig ?? .init()).with(search: s.dnsSearch) } },
        "entrypoint": { s, _, b in b.container.command = s.entrypoint },
        "env_file": { s, _, b in b.container.env = s.environmentList.isEmpty ? nil : s.environmentList },
        "environment": { s, _, b in b.container.env = s.environmentList.isEmpty ? nil : s.environmentList },
        // `host:ip` (compose) -> `ip host` (/etc/hosts order, as docker stack deploy writes it).
        "extra_hosts": { s, _, b in
            let hosts = s.extraHosts.compactMap { entry -> String? in
                guard let colon = entry.firstIndex(of: ":") else { return nil }
                return "\(entry[entry.index(after: colon)...]) \(entry[..<colon])"
            }
            b.container.hosts = hosts.isEmpty ? nil : hosts
        },
        "group_add": { s, _, b in b.container.groups = s.other.strings("group_add") },
        "healthcheck": { s, p, b in b.container.healthcheck = singleHost("healthcheck", s, p).healthcheck },
        "hostname": { s, _, b in b.container.hostname = s.hostname },
        // `SwarmService.init` sets the image (the registry's reference when it was pushed).
        "image": { _, _, _ in },
        "init": { s, _, b in b.container.initProcess = s.initProcess },
        "isolation": { s, _, b in b.container.isolation = s.other.string("isolation") },
        "labels": { s, _, b in b.container.labels = s.labels.isEmpty ? nil : s.labels },
        // The normaliser merges the files' labels under `labels`.
        "label_file": { _, _, _ in },
        "logging": { s, p, b in
            guard let log = singleHost("logging", s, p).hostConfig?.logConfig else { return }
            b.task.logDriver = DockerEngine.Driver(name: log.type, options: log.config)
        },
        "mem_limit": { s, _, b in if s.deploy?.limits?.memory == nil, let m = s.other.int("mem_limit") { b.limits.memoryBytes = m } },
        "mem_reservation": { s, _, b in
            if s.deploy?.reservations?.memory == nil, let m = s.other.int("mem_reservation") { b.reservations.memoryBytes = m }
        },
        // `host`: the node's network; `none`: no network attachment (Swarm has no `none` network to join).
        "network_mode": { s, _, b in
            guard let mode = s.networkMode else { return }
            if mode == "host" { b.task.networks = [DockerEngine.NetworkAttachmentConfig(target: mode)] }
            if mode == "none" { b.task.networks = [] }
        },
        "networks": { s, p, b in
            guard s.networkMode == nil, !s.networks.isEmpty else { return }
            b.task.networks = s.networks.map { n in
                var aliases = [s.name]
                for a in n.aliases where !aliases.contains(a) { aliases.append(a) }
                return DockerEngine.NetworkAttachmentConfig(target: p.networks[n.name]?.name ?? n.name, aliases: aliases)
            }
        },
        "pids_limit": { s, _, b in if s.deploy?.limits?.pids == nil, let n = s.other.int("pids_limit") { b.limits.pids = n } },
        "ports": { s, _, b in
            b.ports = s.ports.map { port in
                DockerEngine.EndpointPortConfig(
                    protocol: port.protocol, targetPort: UInt32(port.target),
                    publishedPort: port.published.flatMap { UInt32($0) },
                    publishMode: port.mode == "host" ? .host : .ingress)
            }
        },
        "read_only": { s, _, b in b.container.readOnly = s.readOnly ? true : nil },
        "restart": { s, _, b in
            guard s.deploy?.other["restart_policy"] == nil, let r = s.restart else { return }
            let parts = r.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            switch parts[0] {
            case "always", "unless-stopped": b.task.restartPolicy = .init(condition: .any)
            case "on-failure": b.task.restartPolicy = .init(condition: .onFailure, maxAttempts: parts.count > 1 ? UInt64(parts[1]) : nil)
            default: b.task.restartPolicy = .init(condition: .never)
            }
        },
        "secrets": { s, _, b in
            for ref in s.secrets {
                guard let name = b.objects.secretNames[ref.source] else { continue }
                let target = ref.target.isEmpty ? ref.source : ref.target
                b.secrets.append(
                    DockerEngine.SecretReference(
                        secretID: "", secretName: name,
                        file: DockerEngine.ReferenceFileTarget(
                            name: target, uid: ref.uid ?? "0", gid: ref.gid ?? "0", mode: ref.mode.map(UInt32.init) ?? 0o444)))
            }
        },
        "stdin_open": { s, _, b in b.container.openStdin = s.stdinOpen ? true : nil },
        "stop_grace_period": { s, _, b in b.container.stopGracePeriod = s.stopGracePeriod?.nanoseconds },
        "stop_signal": { s, _, b in b.container.stopSignal = s.stopSignal },
        "sysctls": { s, _, b in b.container.sysctls = s.sysctls.isEmpty ? nil : s.sysctls },
        "tmpfs": { s, _, b in
            for t in s.tmpfs {
                let path = t.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)[0]
                if !path.isEmpty { b.mounts.append(DockerEngine.Mount(type: "tmpfs", target: String(path))) }
            }
        },
        "tty": { s, _, b in b.container.tty = s.tty ? true : nil },
        "ulimits": { s, p, b in b.container.ulimits = singleHost("ulimits", s, p).hostConfig?.ulimits },
        "user": { s, _, b in b.container.user = s.user },
        "volumes": { s, p, b in
            for v in s.volumes {
                switch v.type {
                case .bind:
                    guard let source = v.source else { continue }
                    if SwarmRules.isRepositoryPath(source, projectDirectory: p.workingDirectory) {
                        // A file of the repository: a config per file, at the mount's path.
                        for file in SwarmRules.files(under: source) ?? [] {
                            guard let name = b.objects.configNames["file:" + file.path] else { continue }
                            let target = file.relative.isEmpty ? v.target : v.target + "/" + file.relative
                            b.configs.append(
                                DockerEngine.ConfigReference(
                                    configID: "", configName: name,
                                    file: DockerEngine.ReferenceFileTarget(name: target)))
                        }
                    } else {
                        b.mounts.append(DockerEngine.Mount(type: "bind", source: source, target: v.target, readOnly: v.readOnly ? true : nil))
                    }
                case .volume:
                    let volume = v.source.flatMap { p.volumes[$0] }
                    let options = DockerEngine.Mount.VolumeOptions(
                        noCopy: v.noCopy,
                        labels: volume?.external == false
                            ? [SwarmLabels.namespace: p.name, "com.docker.compose.project": p.name] : nil)
                    b.mounts.append(
                        DockerEngine.Mount(
                            type: "volume", source: volume?.name ?? v.source, target: v.target,
                            readOnly: v.readOnly ? true : nil, volumeOptions: options))
                case .tmpfs:
                    b.mounts.append(
                        DockerEngine.Mount(
                            type: "tmpfs", target: v.target,
                            tmpfsOptions: v.tmpfsSize == nil && v.tmpfsMode == nil
                                ? nil : DockerEngine.Mount.TmpfsOptions(sizeBytes: v.tmpfsSize, mode: v.tmpfsMode)))
                default:
                    continue
                }
            }
        },
        "working_dir": { s, _, b in b.container.dir = s.workingDir },
    ]
}

extension DockerEngine.ContainerSpec.DNSConfig {
    func with(nameservers: [String]? = nil, search: [String]? = nil, options: [String]? = nil) -> Self {
        Self(nameservers: nameservers ?? self.nameservers, search: search ?? self.search, options: options ?? self.options)
    }
}
