import Compose

extension Orchestration.DesiredProject {
    /// Translates the normalised compose model into what orchestration converges to: engine
    /// create bodies, the dependency edges, pull policy and the config hash (compose's rule).
    public init(compose project: ComposeProject) {
        typealias O = Orchestration
        let networks = project.networks.keys.sorted().map { key -> O.DesiredNetwork in
            let n = project.networks[key]!
            return O.DesiredNetwork(key: key, name: n.name, driver: n.driver, external: n.external, internal: n.internal, attachable: n.attachable, labels: n.labels)
        }
        let volumes = project.volumes.keys.sorted().map { key -> O.DesiredVolume in
            let v = project.volumes[key]!
            return O.DesiredVolume(key: key, name: v.name, driver: v.driver, external: v.external, labels: v.labels)
        }
        let services = project.services.map { O.DesiredService(compose: $0, project: project) }
        self.init(name: project.name, workingDirectory: project.workingDirectory, configFiles: project.configFiles, services: services, networks: networks, volumes: volumes)
    }
}

extension Orchestration.DesiredService {
    public init(compose s: ServiceConfig, project: ComposeProject) {
        typealias O = Orchestration
        typealias Spec = O.ContainerSpec
        let image = s.image ?? "\(project.name)-\(s.name)"

        let fieldHashes = s.fieldHashes()  // keyed short hashes per field, so a recreate can say which fields changed

        var spec = Spec()
        spec.Image = image
        spec.Hostname = s.hostname
        spec.Domainname = s.domainname
        spec.User = s.user
        spec.Env = s.environmentList.isEmpty ? nil : s.environmentList
        spec.Cmd = s.command
        spec.Entrypoint = s.entrypoint
        spec.Labels = s.labels.isEmpty ? nil : s.labels
        spec.WorkingDir = s.workingDir
        spec.StopSignal = s.stopSignal
        spec.Tty = s.tty ? true : nil
        spec.OpenStdin = s.stdinOpen ? true : nil
        var exposed: [String: Spec.Empty] = [:]
        for p in s.ports { exposed["\(p.target)/\(p.protocol)"] = Spec.Empty() }
        for e in s.expose {
            let key = e.contains("/") ? e : "\(e)/tcp"
            exposed[key] = Spec.Empty()
        }
        spec.ExposedPorts = exposed.isEmpty ? nil : exposed
        if let h = s.healthcheck {
            if h.disable {
                spec.Healthcheck = Spec.HealthConfig(Test: ["NONE"])
            } else {
                spec.Healthcheck = Spec.HealthConfig(Test: h.test, Interval: h.interval?.nanoseconds, Timeout: h.timeout?.nanoseconds, Retries: h.retries, StartPeriod: h.startPeriod?.nanoseconds, StartInterval: h.startInterval?.nanoseconds)
            }
        }
        if let grace = s.stopGracePeriod { spec.StopTimeout = Int(grace.nanoseconds / 1_000_000_000) }

        var host = Spec.HostConfigSpec()
        var binds: [String] = []
        var mounts: [Spec.Mount] = []
        var tmpfs: [String: String] = [:]
        var bindSources: [String] = []
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
                    binds.append("\(source):\(v.target)" + (opts.isEmpty ? "" : ":" + opts.joined(separator: ",")))
                } else {
                    mounts.append(Spec.Mount(Type: "bind", Source: source, Target: v.target, ReadOnly: v.readOnly ? true : nil))
                    bindSources.append(source)
                }
            case .volume:
                let name = v.source.map { project.volumes[$0]?.name ?? $0 }
                mounts.append(Spec.Mount(Type: "volume", Source: name, Target: v.target, ReadOnly: v.readOnly ? true : nil))
            case .tmpfs:
                var opts: [String] = []
                if let size = v.tmpfsSize { opts.append("size=\(size)") }
                if let mode = v.tmpfsMode { opts.append("mode=\(String(mode, radix: 8))") }
                tmpfs[v.target] = opts.joined(separator: ",")
            default:
                continue
            }
        }
        for t in s.tmpfs {
            let parts = t.split(separator: ":", maxSplits: 1)
            tmpfs[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
        }
        // File-based secrets and configs are bind-mounted read-only, as compose does outside swarm.
        for (refs, objects, isSecret) in [(s.secrets, project.secrets, true), (s.configs, project.configs, false)] {
            for ref in refs {
                guard let file = objects[ref.source]?.file else { continue }
                mounts.append(Spec.Mount(Type: "bind", Source: file, Target: ref.target.isEmpty ? (isSecret ? "/run/secrets/\(ref.source)" : "/\(ref.source)") : ref.target, ReadOnly: true))
                bindSources.append(file)
            }
        }
        host.Binds = binds.isEmpty ? nil : binds
        host.Mounts = mounts.isEmpty ? nil : mounts
        host.Tmpfs = tmpfs.isEmpty ? nil : tmpfs

        var bindings: [String: [Spec.PortBinding]] = [:]
        var published: [O.PublishedPort] = []
        for p in s.ports {
            let key = "\(p.target)/\(p.protocol)"
            bindings[key, default: []].append(Spec.PortBinding(HostIp: p.hostIP, HostPort: p.published))
            if let text = p.published, let port = Int(text) {
                published.append(O.PublishedPort(hostIP: p.hostIP ?? "", hostPort: port, proto: p.protocol))
            }
        }
        host.PortBindings = bindings.isEmpty ? nil : bindings
        if let r = s.restart {
            let parts = r.split(separator: ":", maxSplits: 1)
            host.RestartPolicy = Spec.RestartPolicy(Name: parts[0] == "no" ? "no" : String(parts[0]), MaximumRetryCount: parts.count > 1 ? Int(parts[1]) : nil)
        }
        if let mode = s.networkMode {
            if mode.hasPrefix("service:") {
                let other = String(mode.dropFirst("service:".count))
                let otherName = project.service(named: other)?.containerName ?? O.Naming.containerName(project: project.name, service: other, number: 1)
                host.NetworkMode = "container:\(otherName)"
            } else {
                host.NetworkMode = mode
            }
        }
        host.Privileged = s.privileged ? true : nil
        host.ReadonlyRootfs = s.readOnly ? true : nil
        host.Init = s.initProcess
        host.CapAdd = s.capAdd.isEmpty ? nil : s.capAdd
        host.CapDrop = s.capDrop.isEmpty ? nil : s.capDrop
        host.Devices = s.devices.isEmpty ? nil : s.devices.map { Spec.DeviceMapping(PathOnHost: $0.source, PathInContainer: $0.target, CgroupPermissions: $0.permissions) }
        host.ExtraHosts = s.extraHosts.isEmpty ? nil : s.extraHosts
        host.Dns = s.dns.isEmpty ? nil : s.dns
        host.DnsSearch = s.dnsSearch.isEmpty ? nil : s.dnsSearch
        host.SecurityOpt = s.securityOpt.isEmpty ? nil : s.securityOpt
        host.Sysctls = s.sysctls.isEmpty ? nil : s.sysctls
        host.Ulimits = s.ulimits.isEmpty ? nil : s.ulimits.keys.sorted().map { Spec.Ulimit(Name: $0, Soft: s.ulimits[$0]!.soft, Hard: s.ulimits[$0]!.hard) }
        host.ShmSize = s.shmSize
        host.PidMode = s.pid
        host.IpcMode = s.ipc
        if let l = s.logging, let driver = l.driver { host.LogConfig = Spec.LogConfigSpec(Type: driver, Config: l.options.isEmpty ? nil : l.options) }
        if let limits = s.deploy?.limits {
            host.Memory = limits.memory
            host.NanoCpus = limits.cpus.map { Int64(($0 * 1_000_000_000).rounded()) }
            host.PidsLimit = limits.pids
        }
        if let reservations = s.deploy?.reservations { host.MemoryReservation = reservations.memory }
        if host.NanoCpus == nil, case .string(let text)? = s.other["cpus"], let cpus = Double(text) { host.NanoCpus = Int64((cpus * 1e9).rounded()) }
        if host.NanoCpus == nil, case .double(let cpus)? = s.other["cpus"] { host.NanoCpus = Int64((cpus * 1e9).rounded()) }
        spec.HostConfig = host

        if s.networkMode == nil, !s.networks.isEmpty {
            var endpoints: [String: Spec.EndpointSpec] = [:]
            for n in s.networks {
                let engineName = project.networks[n.name]?.name ?? n.name
                var aliases = [s.name]
                for a in n.aliases where !aliases.contains(a) { aliases.append(a) }
                endpoints[engineName] = Spec.EndpointSpec(Aliases: aliases)
            }
            spec.NetworkingConfig = Spec.NetworkingConfigSpec(EndpointsConfig: endpoints)
            // The highest priority network is the primary one (created with the container).
            if let primary = s.networks.max(by: { ($0.priority ?? 0, $1.name) < ($1.priority ?? 0, $0.name) }) {
                spec.HostConfig?.NetworkMode = project.networks[primary.name]?.name ?? primary.name
            }
        }

        var replicas = s.deploy?.replicas ?? 1
        if case .int(let scale)? = s.other["scale"] { replicas = Int(scale) }
        let hasHealthcheck = s.healthcheck.map { !$0.disable && ($0.test?.first ?? "NONE") != "NONE" } ?? false
        let dependencies = s.dependsOn.map { d in
            O.Dependency(service: d.service, condition: O.DependencyCondition(rawValue: d.condition.rawValue) ?? .serviceStarted, required: d.required, restart: d.restart)
        }
        let build = s.build.map { b in
            O.BuildSpec(context: b.context, dockerfile: b.dockerfile ?? "Dockerfile", args: b.args, target: b.target)
        }
        self.init(
            name: s.name, image: image, configHash: s.configHash, fieldHashes: fieldHashes,
            dependencies: dependencies, replicas: replicas,
            pullPolicy: s.pullPolicy.flatMap(O.PullPolicy.init(composeValue:)) ?? .missing,
            build: build, hasHealthcheck: hasHealthcheck, containerName: s.containerName, container: spec,
            bindSources: bindSources, publishedPorts: published,
            stopTimeout: s.stopGracePeriod.map { Int($0.nanoseconds / 1_000_000_000) }
        )
    }
}
