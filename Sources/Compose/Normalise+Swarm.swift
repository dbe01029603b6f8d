import Foundation

/// What a swarm deployment decides from the files alone: which bind mounts are files of the
/// repository (they become Swarm configs), which host paths every node has, which node a service is
/// pinned to, and the placement syntax Swarm understands. Shared by the checks below and by
/// Orchestration's mapping, so the two cannot disagree.
public enum SwarmRules {
    /// Host paths every Linux node has (the kernel's views, the engine's socket): a bind mount of one
    /// means the same on every node, so a global service such as node-exporter may mount it.
    public static let nodePaths: Set<String> = ["/", "/proc", "/sys", "/dev", "/var/run/docker.sock", "/run/docker.sock",
                                                "/etc/localtime", "/etc/machine-id"]

    /// The most bytes of one Swarm config (swarmkit refuses larger ones).
    public static let maximumConfigBytes = 500 * 1024
    /// The most files one bind mount of a repository directory may turn into configs.
    public static let maximumConfigFiles = 256

    /// Node attributes a placement constraint may test (`docker service create --constraint`).
    public static let constraintAttributes: Set<String> = ["node.id", "node.hostname", "node.role", "node.platform.os",
                                                           "node.platform.arch"]
    /// Attribute prefixes a constraint or a spread preference may test.
    public static let labelPrefixes = ["node.labels.", "engine.labels."]

    public static func isNodePath(_ path: String) -> Bool {
        nodePaths.contains(path) || ["/proc/", "/sys/", "/dev/"].contains { path.hasPrefix($0) }
    }

    /// The repository a stack belongs to: the nearest directory at or above `projectDirectory` that
    /// holds `.git`, else `projectDirectory` itself.
    public static func repositoryRoot(of projectDirectory: String) -> String {
        var dir = PathUtil.clean(projectDirectory)
        while true {
            if FileManager.default.fileExists(atPath: PathUtil.join(dir, ".git")) { return dir }
            let parent = PathUtil.directory(of: dir)
            if parent == dir { return PathUtil.clean(projectDirectory) }
            dir = parent
        }
    }

    /// Whether a bind source is a file or directory of the stack's repository, which a swarm
    /// deployment ships as configs instead of mounting from the node.
    public static func isRepositoryPath(_ source: String, projectDirectory: String) -> Bool {
        let root = repositoryRoot(of: projectDirectory)
        let clean = PathUtil.clean(source)
        return clean == root || clean.hasPrefix(root == "/" ? "/" : root + "/")
    }

    /// The regular files under a bind source (itself when it is a file), with their paths relative to
    /// it (`""` for the file itself), sorted; hidden files are skipped. Nil when it does not exist.
    public static func files(under source: String) -> [(relative: String, path: String)]? {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: source, isDirectory: &isDirectory) else { return nil }
        guard isDirectory.boolValue else { return [("", source)] }
        guard let walker = FileManager.default.enumerator(atPath: source) else { return [] }
        var out: [(String, String)] = []
        while let relative = walker.nextObject() as? String {
            let full = PathUtil.join(source, relative)
            if relative.split(separator: "/").contains(where: { $0.hasPrefix(".") }) { continue }
            var dir: ObjCBool = false
            if FileManager.default.fileExists(atPath: full, isDirectory: &dir), !dir.boolValue { out.append((relative, full)) }
            if out.count > maximumConfigFiles { break }
        }
        return out.sorted { $0.0 < $1.0 }
    }

    /// One placement constraint: `node.hostname == worker-1`, `node.labels.gpu != true`.
    public struct Constraint: Sendable, Equatable {
        public var attribute: String
        public var equal: Bool
        public var value: String
    }

    /// Parses a constraint as swarmkit does (`==` or `!=`, spaces around allowed); nil when the
    /// syntax or the attribute is not one Swarm knows.
    public static func constraint(_ text: String) -> Constraint? {
        for (op, equal) in [("==", true), ("!=", false)] {
            guard let range = text.range(of: op) else { continue }
            let attribute = text[..<range.lowerBound].trimmingSpaces
            let value = text[range.upperBound...].trimmingSpaces
            guard !value.isEmpty, !value.contains("="), isAttribute(attribute) else { return nil }
            return Constraint(attribute: attribute, equal: equal, value: value)
        }
        return nil
    }

    static func isAttribute(_ attribute: String) -> Bool {
        constraintAttributes.contains(attribute)
            || labelPrefixes.contains { attribute.hasPrefix($0) && attribute.count > $0.count }
    }

    /// The node the constraints pin a service to (`node.hostname == X` or `node.id == X`), or nil.
    public static func pinnedNode(_ constraints: [String]) -> String? {
        constraints.compactMap(constraint).first { $0.equal && ["node.hostname", "node.id"].contains($0.attribute) }?.value
    }
}

extension Normaliser {
    /// `generic_resources: [{discrete_resource_spec: {kind: gpu, value: 1}}]`.
    mutating func genericResources(_ node: YNode, _ path: String) -> [GenericResource] {
        guard let items = sequence(node, path) else { return [] }
        var out: [GenericResource] = []
        for (i, item) in items.enumerated() {
            let p = "\(path)[\(i)]"
            guard mapping(item, p) != nil else { continue }
            checkKeys(item, ["discrete_resource_spec"], path: p)
            guard let spec = item["discrete_resource_spec"] else {
                sink.error(item, p, "missing `discrete_resource_spec`")
                continue
            }
            let sp = "\(p).discrete_resource_spec"
            guard mapping(spec, sp) != nil else { continue }
            checkKeys(spec, ["kind", "value"], path: sp)
            guard let kindNode = spec["kind"], let kind = string(kindNode, "\(sp).kind"), !kind.isEmpty else {
                sink.error(spec, sp, "missing `kind`")
                continue
            }
            guard let valueNode = spec["value"], let value = int(valueNode, "\(sp).value") else {
                if spec["value"] == nil { sink.error(spec, sp, "missing `value`") }
                continue
            }
            if value < 0 { sink.error(valueNode, "\(sp).value", "must not be negative") }
            out.append(GenericResource(kind: kind, value: Int64(value)))
        }
        return out
    }

    // MARK: - Swarm-only checks

    /// What only a swarm deployment refuses or warns about, each located: keys the table refuses for
    /// Swarm, the `deploy` section's swarm keys (placement, restart_policy, update_config, ...),
    /// host bind mounts, network modes, ports and networks Swarm cannot honour.
    mutating func swarmChecks(_ services: [ServiceConfig], serviceNodes: [String: YNode],
                              networkNodes: [((name: String, node: YNode), YNode)], networks: [String: NetworkConfig]) {
        for svc in services {
            guard let node = serviceNodes[svc.name] else { continue }
            swarmService(svc, node, path: "services.\(svc.name)")
        }
        for (key, node) in networkNodes {
            guard let network = networks[key.name], !network.external, network.driver == "bridge" else { continue }
            sink.warning(node["driver"] ?? node, "networks.\(key.name).driver", "a bridge network becomes an attachable overlay network on Swarm")
        }
    }

    mutating func swarmService(_ svc: ServiceConfig, _ node: YNode, path: String) {
        for (keyNode, value) in node.mapping ?? [] {
            guard let key = keyNode.scalar, let entry = ServiceKey.named(key) else { continue }
            if case .refused(let reason) = entry.swarm, entry.disposition != entry.swarm { sink.error(value, "\(path).\(key)", reason) }
        }
        let deploy = node["deploy"]
        let global = svc.deploy?.mode == "global"
        if let mode = svc.deploy?.mode, mode.hasSuffix("-job"), let m = deploy?["mode"] {
            sink.error(m, "\(path).deploy.mode", "swarm jobs (\(mode)) are not deployed by StackPilot; use replicated or global")
        }
        if global, let r = deploy?["replicas"] {
            sink.error(r, "\(path).deploy.replicas", "`replicas` cannot be used with `mode: global` (a global service runs one task on every node)")
        }
        if global, let s = node["scale"] {
            sink.error(s, "\(path).scale", "`scale` cannot be used with `mode: global` (a global service runs one task on every node)")
        }
        var constraints: [String] = []
        if let placement = deploy?["placement"] { constraints = swarmPlacement(placement, "\(path).deploy.placement", global: global) }
        if let v = deploy?["restart_policy"] {
            swarmFields(v, "\(path).deploy.restart_policy", enums: ["condition": ["none", "on-failure", "any"]],
                        durations: ["delay", "window"], ints: ["max_attempts"])
        }
        for (key, actions) in [("update_config", ["continue", "rollback", "pause"]), ("rollback_config", ["continue", "pause"])] {
            guard let v = deploy?[key] else { continue }
            swarmFields(v, "\(path).deploy.\(key)", enums: ["failure_action": actions, "order": ["stop-first", "start-first"]],
                        durations: ["delay", "monitor"], ints: ["parallelism"], ratios: ["max_failure_ratio"])
        }
        if let v = deploy?["labels"] { _ = keyValues(v, "\(path).deploy.labels", nullValue: "") }
        var dnsrr = false
        if let v = deploy?["endpoint_mode"], let mode = string(v, "\(path).deploy.endpoint_mode") {
            if !["vip", "dnsrr"].contains(mode) { sink.error(v, "\(path).deploy.endpoint_mode", "invalid endpoint_mode \"\(mode)\" (expected vip or dnsrr)") }
            dnsrr = mode == "dnsrr"
        }
        if let devices = deploy?["resources"]?["reservations"]?["devices"] {
            sink.error(devices, "\(path).deploy.resources.reservations.devices",
                       "swarm services have no device requests; reserve GPUs with deploy.resources.reservations.generic_resources")
        }
        for (i, port) in svc.ports.enumerated() {
            let at = node["ports"]?.sequence?[i] ?? node["ports"] ?? node
            let p = "\(path).ports[\(i)]"
            if let published = port.published, published.contains("-") {
                sink.error(at, p, "a published port range (\(published)) cannot be used on Swarm; publish one port per target")
            }
            if dnsrr && port.mode != "host" && port.published != nil {
                sink.error(at, p, "a port published in ingress mode cannot be used with `endpoint_mode: dnsrr`; use `mode: host`")
            }
            if let ip = port.hostIP, !ip.isEmpty, ip != "0.0.0.0", ip != "::" {
                sink.warning(at, p, "host_ip \(ip) cannot be honoured on Swarm: the port is published on every address of the node")
            }
        }
        for (i, dependency) in svc.dependsOn.enumerated() where dependency.condition == .completedSuccessfully {
            let at = node["depends_on"]?[dependency.service]?["condition"] ?? node["depends_on"]?.sequence?[i] ?? node
            sink.error(at, "\(path).depends_on.\(dependency.service).condition", "a swarm service does not complete; use service_started or service_healthy")
        }
        if let mode = svc.networkMode, !["host", "none"].contains(mode), let at = node["network_mode"] {
            sink.error(at, "\(path).network_mode", "network_mode \(mode) cannot be used on Swarm (expected host or none, or `networks`)")
        }
        let pinned = global ? nil : SwarmRules.pinnedNode(constraints)
        for (i, volume) in svc.volumes.enumerated() {
            let at = node["volumes"]?.sequence?[i] ?? node
            swarmVolume(volume, at, "\(path).volumes[\(i)]", pinned: pinned)
        }
    }

    /// `placement`: constraints in swarmkit's syntax, `spread` preferences, max_replicas_per_node.
    /// Returns the constraints.
    mutating func swarmPlacement(_ node: YNode, _ path: String, global: Bool) -> [String] {
        guard mapping(node, path) != nil else { return [] }
        checkKeys(node, ["constraints", "preferences", "max_replicas_per_node"], path: path)
        var constraints: [String] = []
        if let list = node["constraints"], let items = sequence(list, "\(path).constraints") {
            for (i, item) in items.enumerated() {
                guard let text = string(item, "\(path).constraints[\(i)]") else { continue }
                if SwarmRules.constraint(text) == nil {
                    sink.error(item, "\(path).constraints[\(i)]",
                               "invalid placement constraint \"\(text)\" (expected ATTRIBUTE == VALUE or !=, with node.id, node.hostname, node.role, node.platform.os, node.platform.arch, node.labels.KEY or engine.labels.KEY)")
                }
                constraints.append(text)
            }
        }
        if let list = node["preferences"], let items = sequence(list, "\(path).preferences") {
            for (i, item) in items.enumerated() {
                let p = "\(path).preferences[\(i)]"
                guard mapping(item, p) != nil else { continue }
                checkKeys(item, ["spread"], path: p)
                guard let spread = item["spread"], let text = string(spread, "\(p).spread") else {
                    if item["spread"] == nil { sink.error(item, p, "missing `spread`") }
                    continue
                }
                if !SwarmRules.isAttribute(text) || SwarmRules.constraint(text) != nil {
                    sink.error(spread, "\(p).spread", "invalid spread preference \"\(text)\" (expected a node attribute such as node.labels.zone)")
                }
            }
        }
        if let v = node["max_replicas_per_node"], let n = int(v, "\(path).max_replicas_per_node") {
            if n < 0 { sink.error(v, "\(path).max_replicas_per_node", "must not be negative") }
            if global { sink.error(v, "\(path).max_replicas_per_node", "`max_replicas_per_node` cannot be used with `mode: global`") }
        }
        return constraints
    }

    /// Checks the keys of `restart_policy`, `update_config` or `rollback_config`.
    mutating func swarmFields(_ node: YNode, _ path: String, enums: [String: [String]], durations: Set<String>, ints: Set<String>,
                              ratios: Set<String> = []) {
        guard mapping(node, path) != nil else { return }
        checkKeys(node, Set(enums.keys).union(durations).union(ints).union(ratios), path: path)
        for (keyNode, value) in node.mapping ?? [] {
            guard let key = keyNode.scalar else { continue }
            let p = "\(path).\(key)"
            if let allowed = enums[key], let text = string(value, p), !allowed.contains(text) {
                sink.error(value, p, "invalid \(key) \"\(text)\" (expected \(allowed.joined(separator: ", ")))")
            } else if durations.contains(key) {
                _ = duration(value, p)
            } else if ints.contains(key), let n = int(value, p), n < 0 {
                sink.error(value, p, "must not be negative")
            } else if ratios.contains(key), let text = string(value, p), Double(text).map({ $0 >= 0 && $0 <= 1 }) != true {
                sink.error(value, p, "expected a ratio from 0 to 1, found \"\(text)\"")
            }
        }
    }

    /// A bind mount: a repository file or directory becomes configs (it must exist, be small enough
    /// and few enough); a path every node has is allowed; any other host path only on a service
    /// pinned to one node.
    mutating func swarmVolume(_ volume: ServiceVolume, _ at: YNode, _ path: String, pinned: String?) {
        switch volume.type {
        case .volume, .tmpfs:
            return
        case .npipe, .image, .cluster:
            sink.error(at, path, "a \(volume.type.rawValue) mount cannot be used on Swarm")
            return
        case .bind:
            break
        }
        guard let source = volume.source else { return }
        if SwarmRules.isRepositoryPath(source, projectDirectory: projectDirectory) {
            guard let files = SwarmRules.files(under: source) else {
                sink.error(at, path, "\(source) does not exist: a file of the repository is shipped to the nodes as a Swarm config, so it must exist")
                return
            }
            if files.count > SwarmRules.maximumConfigFiles {
                sink.error(at, path, "\(source) holds more than \(SwarmRules.maximumConfigFiles) files: too many to ship as Swarm configs")
            }
            for file in files {
                let size = (try? FileManager.default.attributesOfItem(atPath: file.path)[.size] as? Int) ?? 0
                if size > SwarmRules.maximumConfigBytes {
                    sink.error(at, path, "\(file.path) is \(size) bytes: a Swarm config holds at most \(SwarmRules.maximumConfigBytes)")
                }
            }
            return
        }
        if SwarmRules.isNodePath(source) || pinned != nil { return }
        sink.error(at, path,
                   "bind mount of the host path \(source): on Swarm a task may run on any node; pin the service to one node (deploy.placement.constraints: [node.hostname == NAME]), use a named volume, or keep the file in the repository (it becomes a config)")
    }
}

extension ConfigHashKey {
    /// HMAC-SHA256 (hex) of `data` in a domain, under this key: the swarm deployment's spec hash label
    /// and the content part of config and secret names (a secret's name must not let anyone test
    /// guesses of its content).
    public func hash(domain: String, _ data: Data) -> String {
        authenticate(domain, data.base64EncodedString())
    }
}
