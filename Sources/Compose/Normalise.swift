import Foundation

/// Walks the merged tree, validates every key (reporting all problems with file, line, column and key
/// path) and builds the typed model.
struct Normaliser {
    let projectName: String
    let projectDirectory: String
    let environment: [String: String]
    let home: String?
    var sink: DiagnosticSink
    /// The files are deployed to Swarm: keys take their swarm disposition and `swarmChecks` run.
    var swarm = false

    init(projectName: String, projectDirectory: String, environment: [String: String], home: String?, sink: DiagnosticSink) {
        self.projectName = projectName
        self.projectDirectory = projectDirectory
        self.environment = environment
        self.home = home
        self.sink = sink
    }

    static let topLevelKeys: Set<String> = ["version", "name", "services", "networks", "volumes", "secrets", "configs", "include", "models"]

    /// The declared table decides which keys a service accepts (`ServiceKey.all`).
    static var serviceKeys: Set<String> { ServiceKey.names }

    // MARK: - Project

    mutating func project(_ root: YNode, files: [String], activeProfiles: Set<String>) -> ComposeProject? {
        checkKeys(root, Self.topLevelKeys, path: "")
        if let version = root["version"] {
            sink.warning(version, "version", "the attribute `version` is obsolete and ignored")
        }
        if let include = root["include"] { sink.error(include, "include", "`include` is not supported by StackPilot; merge the files with -f instead") }
        if let name = root["name"], name.scalar == nil {
            sink.error(name, "name", "expected a string, found \(name.kindName)")
        }

        let networkNodes = entries(root["networks"], path: "networks")
        let volumeNodes = entries(root["volumes"], path: "volumes")
        let secretNodes = entries(root["secrets"], path: "secrets")
        let configNodes = entries(root["configs"], path: "configs")

        var networks: [String: NetworkConfig] = [:]
        for (key, node) in networkNodes { networks[key.name] = network(node, key: key.name, path: "networks.\(key.name)") }
        var volumes: [String: VolumeConfig] = [:]
        for (key, node) in volumeNodes { volumes[key.name] = volume(node, key: key.name, path: "volumes.\(key.name)") }
        var secrets: [String: FileObjectConfig] = [:]
        for (key, node) in secretNodes { secrets[key.name] = fileObject(node, key: key.name, path: "secrets.\(key.name)", isConfig: false) }
        var configs: [String: FileObjectConfig] = [:]
        for (key, node) in configNodes { configs[key.name] = fileObject(node, key: key.name, path: "configs.\(key.name)", isConfig: true) }

        let context = ProjectContext(
            networks: Set(networks.keys), volumes: Set(volumes.keys), secrets: Set(secrets.keys),
            configs: Set(configs.keys))
        var services: [ServiceConfig] = []
        var dependencyNodes: [String: [String: YNode]] = [:]
        var serviceNodes: [String: YNode] = [:]
        // A file without `services` is valid (the spec does not require it); a legacy v1 file is
        // caught before this (ComposeLoader.legacyServices).
        let serviceEntries = entries(root["services"], path: "services")
        for (key, node) in serviceEntries {
            let path = "services.\(key.name)"
            if !Self.isValidServiceName(key.name) {
                sink.error(key.node, path, "invalid service name \"\(key.name)\" (expected letters, digits, _ . and -)")
            }
            serviceNodes[key.name] = node
            var deps: [String: YNode] = [:]
            if let svc = service(node, name: key.name, path: path, context: context, dependencyNodes: &deps) {
                services.append(svc)
            }
            dependencyNodes[key.name] = deps
        }
        // Sort positions, then move each service once: swapping the large structs themselves costs
        // n log n copies (seconds for tens of thousands of services).
        services = services.indices.sorted { services[$0].name < services[$1].name }.map { services[$0] }

        // Cross-service checks: depends_on targets, network_mode service:, volumes_from, cycles.
        let names = Set(services.map(\.name))
        for svc in services {
            for dep in svc.dependsOn {
                let node = dependencyNodes[svc.name]?[dep.service] ?? serviceNodes[svc.name]!
                let path = "services.\(svc.name).depends_on.\(dep.service)"
                if dep.service == svc.name {
                    sink.error(node, path, "service \(svc.name) depends on itself")
                } else if !names.contains(dep.service) && serviceEntries.contains(where: { $0.0.name == dep.service }) == false {
                    sink.error(node, path, "depends on undefined service \"\(dep.service)\" (defined: \(names.sorted().joined(separator: ", ")))")
                }
            }
            if let mode = svc.networkMode, mode.hasPrefix("service:") {
                let target = String(mode.dropFirst("service:".count))
                if !names.contains(target) {
                    sink.error(
                        serviceNodes[svc.name]?["network_mode"] ?? serviceNodes[svc.name]!, "services.\(svc.name).network_mode",
                        "network_mode refers to undefined service \"\(target)\"")
                }
            }
        }
        // Secrets and configs sourced from `environment` or `content` are copied into the container
        // (compose v2's injectFileReferences); `external` ones exist in swarm mode only: say so.
        if swarm { swarmChecks(services, serviceNodes: serviceNodes, networkNodes: networkNodes, networks: networks) }
        for index in services.indices where !swarm {
            let svc = services[index]
            for (objects, kind) in [(secrets, "secrets"), (configs, "configs")] {
                let refs = kind == "secrets" ? svc.secrets : svc.configs
                for (i, ref) in refs.enumerated() {
                    guard let object = objects[ref.source], object.file == nil else { continue }
                    let node = serviceNodes[svc.name]?[kind]?.sequence?[i] ?? serviceNodes[svc.name]!
                    let path = "services.\(svc.name).\(kind)[\(i)]"
                    if object.external {
                        sink.warning(
                            node, path,
                            "`\(ref.source)` is ignored: external \(kind) exist in swarm mode only (use `file:`, `environment:` or `content:`)")
                        continue
                    }
                    var content = object.content
                    if let variable = object.environment {
                        content = environment[variable]
                        if content == nil {
                            sink.error(node, path, "environment variable \(variable) required by \(kind.dropLast()) \"\(ref.source)\" is not set")
                        }
                    }
                    guard let content, !content.isEmpty else { continue }
                    if svc.readOnly {
                        sink.error(
                            node, path,
                            "cannot write \(kind.dropLast()) \"\(ref.source)\" into read-only service \(svc.name) (only `file:` ones are mounted)")
                    }
                    if kind == "secrets" { services[index].secrets[i].content = content } else { services[index].configs[i].content = content }
                }
            }
        }
        let graph = DependencyGraph(services: services)
        if let cycle = graph.firstCycle() {
            let first = cycle[0], second = cycle[1]
            let node = dependencyNodes[first]?[second] ?? serviceNodes[first]!
            sink.error(node, "services.\(first).depends_on", "dependency cycle: \(Self.describeCycle(cycle))")
        }

        // Implicit default network.
        if services.contains(where: { $0.networks.contains { $0.name == "default" } }), networks["default"] == nil {
            networks["default"] = NetworkConfig(
                name: "\(projectName)_default", driver: nil, driverOpts: [:], external: false,
                internal: false, attachable: false, enableIPv6: false, labels: [:], ipam: nil)
        }

        // Profiles: services whose profiles are not enabled are left out.
        let enabled = services.filter { $0.profiles.isEmpty || !activeProfiles.isDisjoint(with: $0.profiles) }
        let enabledNames = Set(enabled.map(\.name))
        for svc in enabled {
            for dep in svc.dependsOn where !enabledNames.contains(dep.service) && names.contains(dep.service) && dep.required {
                sink.error(
                    dependencyNodes[svc.name]?[dep.service] ?? serviceNodes[svc.name]!, "services.\(svc.name).depends_on.\(dep.service)",
                    "depends on service \"\(dep.service)\", which is disabled by its profiles (enable one with --profile)")
            }
        }

        guard sink.errors.isEmpty else { return nil }
        return ComposeProject(
            name: projectName, workingDirectory: projectDirectory, configFiles: files, services: enabled,
            networks: networks, volumes: volumes, secrets: secrets, configs: configs, warnings: [])
    }

    struct ProjectContext {
        var networks: Set<String>
        var volumes: Set<String>
        var secrets: Set<String>
        var configs: Set<String>
    }

    /// `a -> b -> a`; a long cycle shows its first and last services only.
    static func describeCycle(_ cycle: [String]) -> String {
        guard cycle.count > 12 else { return cycle.joined(separator: " -> ") }
        return (cycle.prefix(6) + ["... (\(cycle.count - 11) more)"] + cycle.suffix(5)).joined(separator: " -> ")
    }

    /// The spec's service-name pattern, `^[a-zA-Z0-9._-]+$` (a leading `-` or `.` is allowed).
    static func isValidServiceName(_ name: String) -> Bool {
        !name.isEmpty && name.unicodeScalars.allSatisfy { isAlnum($0) || $0 == "_" || $0 == "." || $0 == "-" }
    }

    static func isValidName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, isAlnum(first) else { return false }
        return name.unicodeScalars.allSatisfy { isAlnum($0) || $0 == "_" || $0 == "." || $0 == "-" }
    }

    static func isAlnum(_ c: Unicode.Scalar) -> Bool {
        (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || (c >= "0" && c <= "9")
    }

    // MARK: - Top-level objects

    mutating func network(_ node: YNode, key: String, path: String) -> NetworkConfig {
        var config = NetworkConfig(
            name: "\(projectName)_\(key)", driver: nil, driverOpts: [:], external: false, internal: false,
            attachable: false, enableIPv6: false, labels: [:], ipam: nil)
        guard !node.isNull else { return config }
        guard mapping(node, path) != nil else { return config }
        checkKeys(node, ["name", "driver", "driver_opts", "external", "internal", "attachable", "enable_ipv6", "enable_ipv4", "labels", "ipam"], path: path)
        var explicitName: String?
        if let n = node["name"] { explicitName = string(n, "\(path).name") }
        if let n = node["driver"] { config.driver = string(n, "\(path).driver") }
        if let n = node["driver_opts"] { config.driverOpts = stringMap(n, "\(path).driver_opts") }
        if let n = node["external"] { config.external = external(n, "\(path).external", name: &explicitName) }
        if let n = node["internal"] { config.internal = bool(n, "\(path).internal") ?? false }
        if let n = node["attachable"] { config.attachable = bool(n, "\(path).attachable") ?? false }
        if let n = node["enable_ipv6"] { config.enableIPv6 = bool(n, "\(path).enable_ipv6") ?? false }
        if let n = node["labels"] { config.labels = keyValues(n, "\(path).labels", nullValue: "") }
        if let n = node["ipam"] { config.ipam = plain(n) }
        config.name = explicitName ?? (config.external ? key : "\(projectName)_\(key)")
        return config
    }

    mutating func volume(_ node: YNode, key: String, path: String) -> VolumeConfig {
        var config = VolumeConfig(name: "\(projectName)_\(key)", driver: nil, driverOpts: [:], external: false, labels: [:])
        guard !node.isNull else { return config }
        guard mapping(node, path) != nil else { return config }
        checkKeys(node, ["name", "driver", "driver_opts", "external", "labels"], path: path)
        var explicitName: String?
        if let n = node["name"] { explicitName = string(n, "\(path).name") }
        if let n = node["driver"] { config.driver = string(n, "\(path).driver") }
        if let n = node["driver_opts"] { config.driverOpts = stringMap(n, "\(path).driver_opts") }
        if let n = node["external"] { config.external = external(n, "\(path).external", name: &explicitName) }
        if let n = node["labels"] { config.labels = keyValues(n, "\(path).labels", nullValue: "") }
        config.name = explicitName ?? (config.external ? key : "\(projectName)_\(key)")
        return config
    }

    mutating func external(_ node: YNode, _ path: String, name: inout String?) -> Bool {
        if node.mapping != nil {
            checkKeys(node, ["name"], path: path)
            if let n = node["name"] { name = string(n, "\(path).name") }
            return true
        }
        return bool(node, path) ?? false
    }

    mutating func fileObject(_ node: YNode, key: String, path: String, isConfig: Bool) -> FileObjectConfig {
        var config = FileObjectConfig(name: "\(projectName)_\(key)", file: nil, environment: nil, content: nil, external: false)
        guard mapping(node, path) != nil else { return config }
        var allowed: Set<String> = ["name", "file", "environment", "external", "labels", "driver", "driver_opts", "template_driver"]
        if isConfig { allowed.insert("content") }
        checkKeys(node, allowed, path: path)
        var explicitName: String?
        if let n = node["name"] { explicitName = string(n, "\(path).name") }
        if let n = node["file"], let file = string(n, "\(path).file") { config.file = hostPath(file) }
        if let n = node["environment"] { config.environment = string(n, "\(path).environment") }
        if let n = node["content"] { config.content = string(n, "\(path).content") }
        if let n = node["external"] { config.external = external(n, "\(path).external", name: &explicitName) }
        config.name = explicitName ?? (config.external ? key : "\(projectName)_\(key)")
        let sources = [config.file, config.environment, config.content].compactMap { $0 }.count + (config.external ? 1 : 0)
        if sources != 1 {
            sink.error(node, path, "expected exactly one of file, environment\(isConfig ? ", content" : "") or external")
        }
        return config
    }

    // MARK: - Service

    mutating func service(
        _ node: YNode, name: String, path: String, context: ProjectContext, dependencyNodes: inout [String: YNode]
    ) -> ServiceConfig? {
        guard mapping(node, path) != nil else { return nil }
        checkKeys(node, Self.serviceKeys, path: path)
        var s = ServiceConfig(
            name: name, image: nil, build: nil, command: nil, entrypoint: nil, environment: [:], envFiles: [], ports: [], expose: [],
            volumes: [], networks: [], networkMode: nil, dependsOn: [], healthcheck: nil, restart: nil, labels: [:],
            containerName: nil, hostname: nil, domainname: nil, user: nil, workingDir: nil, privileged: false, readOnly: false,
            initProcess: nil, tty: false, stdinOpen: false, capAdd: [], capDrop: [], devices: [], extraHosts: [], dns: [],
            dnsSearch: [], tmpfs: [], securityOpt: [], sysctls: [:], ulimits: [:], shmSize: nil, pid: nil, ipc: nil,
            platform: nil, logging: nil, deploy: nil, stopGracePeriod: nil, stopSignal: nil, profiles: [], pullPolicy: nil,
            secrets: [], configs: [], extensions: [:], other: [:])

        var parse = ServiceUnderParse(config: s, context: context)
        for (keyNode, value) in node.mapping ?? [] {
            guard let key = keyNode.scalar else { continue }
            let p = "\(path).\(key)"
            // A key the table declares ignored is said out loud, whichever entry reads it.
            if case .ignored(let reason)? = ServiceKey.named(key)?.disposition(swarm: swarm) { sink.warning(value, p, "`\(key)` is ignored: \(reason)") }
            if key.hasPrefix("x-") {
                parse.config.extensions[key] = plain(value)
            } else if let read = Self.keyParsers[key] {
                read(&self, &parse, key, value, p)
            }  // any other key was reported by checkKeys
        }
        s = parse.config
        dependencyNodes = parse.dependencyNodes
        if let envFileNode = node["env_file"] {
            var fromFiles: [String: String] = [:]
            for (file, required, entryNode, entryPath) in envFileEntries(envFileNode, "\(path).env_file") {
                let absolute = hostPath(file)
                guard FileManager.default.fileExists(atPath: absolute) else {
                    if required { sink.error(entryNode, entryPath, "env file \(absolute) not found") }
                    continue
                }
                s.envFiles.append(absolute)
                do {
                    let text = try ComposeLoader.read(absolute)
                    let env = environment, own = s.environment
                    for e in try DotEnv.parse(text, file: absolute, lookup: { env[$0] ?? own[$0] }) { fromFiles[e.key] = e.value }
                } catch {
                    if case .invalid(let list) = error {
                        sink.errors.append(contentsOf: list)
                    } else {
                        sink.error(entryNode, entryPath, error.description)
                    }
                }
            }
            s.environment = fromFiles.merging(s.environment) { _, explicit in explicit }
            // A bare name in `environment` that the project environment does not set stays unset, even
            // when an env file has it: compose-go's WithServicesEnvironmentResolved lets the service's
            // (unresolved) entry override the file's value.
            for (k, v) in keyValuesOptionalQuiet(node["environment"]) where v == nil && environment[k] == nil {
                s.environment[k] = nil
            }
        }
        if let labelFileNode = node["label_file"] { s.labels = labelsWithFiles(labelFileNode, "\(path).label_file", labels: s.labels) }
        if s.image?.isEmpty == true { s.image = nil }  // `image: ${UNSET}` names no image
        if s.image == nil && s.build == nil {
            sink.error(node, path, "service \(name) has neither an image nor a build context (expected `image:` or `build:`)")
        }
        if s.networkMode != nil && node["networks"] != nil {
            sink.error(node["networks"]!, "\(path).networks", "`networks` cannot be used together with `network_mode`")
        }
        if s.networkMode == nil && node["networks"] == nil {
            s.networks = [ServiceNetwork(name: "default", aliases: [], ipv4Address: nil, ipv6Address: nil, priority: nil)]
        }
        checkMountTargets(node, path)
        if let replicas = s.deploy?.replicas, replicas > 1, s.containerName != nil {
            sink.error(
                node["container_name"]!, "\(path).container_name", "container_name cannot be used with more than one replica (deploy.replicas: \(replicas))")
        }
        return s
    }

    mutating func build(_ node: YNode, _ path: String) -> BuildConfig? {
        if let context = node.scalar {
            return BuildConfig(context: buildContext(context), dockerfile: nil, args: [:], target: nil, labels: [:])
        }
        guard mapping(node, path) != nil else { return nil }
        checkKeys(
            node,
            [
                "context", "dockerfile", "dockerfile_inline", "args", "target", "labels", "cache_from", "cache_to",
                "network", "shm_size", "extra_hosts", "ssh", "secrets", "tags", "platforms", "pull", "no_cache",
                "isolation", "privileged", "additional_contexts", "ulimits", "entitlements",
            ], path: path)
        var config = BuildConfig(context: projectDirectory, dockerfile: nil, args: [:], target: nil, labels: [:])
        if let n = node["context"], let c = string(n, "\(path).context") { config.context = buildContext(c) }
        if let n = node["dockerfile"] { config.dockerfile = string(n, "\(path).dockerfile") }
        if let n = node["args"] {
            for (k, v) in keyValuesOptional(n, "\(path).args") { config.args[k] = v ?? environment[k] ?? "" }
        }
        if let n = node["target"] { config.target = string(n, "\(path).target") }
        if let n = node["labels"] { config.labels = keyValues(n, "\(path).labels", nullValue: "") }
        return config
    }

    func buildContext(_ context: String) -> String {
        if context.contains("://") || context.hasPrefix("git@") { return context }
        return hostPath(context)
    }

    mutating func commandLine(_ node: YNode, _ path: String) -> [String]? {
        if node.isNull { return nil }
        if let text = node.scalar {
            do { return try ShellWords.split(text) } catch {
                sink.error(node, path, "unterminated quote in command string")
                return nil
            }
        }
        return stringList(node, path)
    }

    // MARK: Ports

    mutating func ports(_ node: YNode, _ path: String) -> [PortMapping] {
        guard let items = sequence(node, path) else { return [] }
        var out: [PortMapping] = []
        for (i, item) in items.enumerated() {
            let p = "\(path)[\(i)]"
            if item.mapping != nil {
                checkKeys(item, ["target", "published", "host_ip", "protocol", "mode", "name", "app_protocol"], path: p)
                guard let targetNode = item["target"] else {
                    sink.error(item, p, "long port syntax needs `target` (the container port)")
                    continue
                }
                guard let target = int(targetNode, "\(p).target") else { continue }
                guard (1...65535).contains(target) else {
                    sink.error(targetNode, "\(p).target", "invalid port \(target) (expected 1-65535)")
                    continue
                }
                var mapping = PortMapping(target: target, published: nil, hostIP: nil, protocol: "tcp", mode: nil)
                if let n = item["published"], let published = string(n, "\(p).published") {
                    if parseRange(published) == nil {
                        sink.error(n, "\(p).published", "invalid published port \"\(published)\" (expected a port 1-65535 or a range a-b)")
                    } else {
                        mapping.published = published
                    }
                }
                if let n = item["host_ip"] { mapping.hostIP = string(n, "\(p).host_ip") }
                if let n = item["protocol"], let proto = string(n, "\(p).protocol") {
                    if !["tcp", "udp", "sctp"].contains(proto.lowercased()) {
                        sink.error(n, "\(p).protocol", "invalid protocol \"\(proto)\" (expected tcp, udp or sctp)")
                    }
                    mapping.protocol = proto.lowercased()
                }
                if let n = item["mode"] { mapping.mode = string(n, "\(p).mode") }
                out.append(mapping)
            } else if let text = item.scalar {
                switch Self.parsePort(text) {
                case .success(let list): out.append(contentsOf: list)
                case .failure(let problem): sink.error(item, p, "invalid port \"\(text)\": \(problem.message)")
                }
            } else {
                sink.error(item, p, "expected a port (\"[host_ip:][published:]target[/protocol]\" or a mapping), found \(item.kindName)")
            }
        }
        return out
    }

    struct PortProblem: Error { var message: String }

    /// Short port syntax: `[host_ip:][published:]target[/protocol]`, each port may be a range.
    static func parsePort(_ text: String) -> Result<[PortMapping], PortProblem> {
        var spec = Substring(text.trimmingSpaces)
        var proto = "tcp"
        if let slash = spec.lastIndex(of: "/") {
            proto = spec[spec.index(after: slash)...].lowercased()
            spec = spec[..<slash]
            guard ["tcp", "udp", "sctp"].contains(proto) else {
                return .failure(PortProblem(message: "unknown protocol \"\(proto)\" (expected tcp, udp or sctp)"))
            }
        }
        var hostIP: String?
        if spec.hasPrefix("["), let close = spec.firstIndex(of: "]") {
            hostIP = String(spec[spec.index(after: spec.startIndex)..<close])
            spec = spec[spec.index(after: close)...]
            guard spec.hasPrefix(":") else { return .failure(PortProblem(message: "expected \":\" after the IPv6 address")) }
            spec = spec.dropFirst()
        }
        var parts = spec.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        if hostIP == nil && parts.count == 3 {
            hostIP = parts.removeFirst()
        } else if parts.count > (hostIP == nil ? 3 : 2) || parts.isEmpty {
            return .failure(PortProblem(message: "too many \":\" (expected [host_ip:][published:]target[/protocol])"))
        }
        let targetText = parts.removeLast()
        let publishedText = parts.first
        guard let target = parseRange(targetText), target.lowerBound >= 1 else {
            return .failure(PortProblem(message: "container port \"\(targetText)\" is not a port 1-65535 or a range"))
        }
        if let ip = hostIP, !ip.isEmpty, !(ip.contains(".") || ip.contains(":")) {
            return .failure(PortProblem(message: "host IP \"\(ip)\" is not an IP address"))
        }
        let host = hostIP.flatMap { $0.isEmpty ? nil : $0 }
        guard let publishedText, !publishedText.isEmpty else {
            return .success(target.map { PortMapping(target: $0, published: nil, hostIP: host, protocol: proto, mode: "ingress") })
        }
        guard let published = parseRange(publishedText) else {
            return .failure(PortProblem(message: "published port \"\(publishedText)\" is not a port 1-65535 or a range"))
        }
        if target.count == 1 {
            let p = published.count == 1 ? String(published.lowerBound) : "\(published.lowerBound)-\(published.upperBound)"
            return .success([PortMapping(target: target.lowerBound, published: p, hostIP: host, protocol: proto, mode: "ingress")])
        }
        guard published.count == target.count else {
            return .failure(PortProblem(message: "port ranges differ in size (\(published.count) published, \(target.count) container)"))
        }
        return .success(
            zip(published, target).map {
                PortMapping(target: $1, published: String($0), hostIP: host, protocol: proto, mode: "ingress")
            })
    }

    /// `80` or `8000-8010` within 0...65535.
    static func parseRange(_ text: String) -> ClosedRange<Int>? {
        let bits = text.split(separator: "-", omittingEmptySubsequences: false)
        guard bits.count == 1 || bits.count == 2 else { return nil }
        guard let low = Int(bits[0]), let high = Int(bits.last!), bits.allSatisfy({ $0.allSatisfy(\.isNumber) }) else { return nil }
        guard (0...65535).contains(low), (0...65535).contains(high), low <= high else { return nil }
        return low...high
    }
    func parseRange(_ text: String) -> ClosedRange<Int>? { Self.parseRange(text) }

    mutating func expose(_ node: YNode, _ path: String) -> [String] {
        guard let items = sequence(node, path) else { return [] }
        var out: [String] = []
        for (i, item) in items.enumerated() {
            guard let text = scalarString(item, "\(path)[\(i)]") else { continue }
            let port = text.split(separator: "/").first.map(String.init) ?? text
            if Self.parseRange(port) == nil {
                sink.error(item, "\(path)[\(i)]", "invalid port \"\(text)\" (expected a port 1-65535 or a range, optionally /protocol)")
            } else {
                out.append(text)
            }
        }
        return out
    }

    // MARK: Volumes

    static let volumeModes: Set<String> = [
        "ro", "rw", "z", "Z", "nocopy", "shared", "rshared", "slave", "rslave", "private",
        "rprivate", "consistent", "cached", "delegated", "copy",
    ]
    static let propagations: Set<String> = ["shared", "rshared", "slave", "rslave", "private", "rprivate"]

    mutating func serviceVolumes(_ node: YNode, _ path: String, context: ProjectContext) -> [ServiceVolume] {
        guard let items = sequence(node, path) else { return [] }
        var out: [ServiceVolume] = []
        for (i, item) in items.enumerated() {
            let p = "\(path)[\(i)]"
            if item.mapping != nil {
                if let v = longVolume(item, p, context: context) { out.append(v) }
            } else if let text = item.scalar {
                if let v = shortVolume(text, item, p, context: context) { out.append(v) }
            } else {
                sink.error(item, p, "expected a volume (\"source:target[:mode]\" or a mapping), found \(item.kindName)")
            }
        }
        return out
    }

    func isPath(_ source: String) -> Bool {
        source.hasPrefix("/") || source.hasPrefix(".") || source.hasPrefix("~") || source.contains("/")
            || source.hasPrefix("\\") || VolumeSyntax.isWindowsAbsolute(source)
    }

    /// A bind source: a Windows absolute path (`C:\data`) stays as written, as compose-go keeps it for
    /// a Windows daemon; anything else is a host path.
    func bindSource(_ source: String) -> String {
        VolumeSyntax.isWindowsAbsolute(source) ? source : hostPath(source)
    }

    mutating func shortVolume(_ text: String, _ node: YNode, _ path: String, context: ProjectContext) -> ServiceVolume? {
        let parts = VolumeSyntax.split(text)
        guard (1...3).contains(parts.count), !parts.contains(where: \.isEmpty) else {
            sink.error(node, path, "invalid volume \"\(text)\" (expected [source:]target[:mode])")
            return nil
        }
        if parts.count == 1 {
            guard parts[0].hasPrefix("/") else {
                sink.error(node, path, "invalid volume \"\(text)\": the container path must be absolute")
                return nil
            }
            return ServiceVolume(type: .volume, source: nil, target: PathUtil.clean(parts[0]), readOnly: false)
        }
        let source = parts[0], target = parts[1]
        guard target.hasPrefix("/") else {
            sink.error(node, path, "invalid volume \"\(text)\": the container path \"\(target)\" must be absolute")
            return nil
        }
        var volume = ServiceVolume(type: isPath(source) ? .bind : .volume, source: nil, target: PathUtil.clean(target), readOnly: false)
        if parts.count == 3 {
            for mode in parts[2].split(separator: ",").map(String.init) {
                guard Self.volumeModes.contains(mode) else {
                    sink.error(node, path, "invalid volume mode \"\(mode)\" (expected ro, rw, z, Z, nocopy or a propagation such as rslave)")
                    return nil
                }
                switch mode {
                case "ro": volume.readOnly = true
                case "rw": volume.readOnly = false
                case "z", "Z": volume.selinux = mode
                case "nocopy": volume.noCopy = true
                case "consistent", "cached", "delegated": volume.consistency = mode
                case "copy": break
                default: volume.propagation = mode
                }
            }
        }
        if volume.type == .bind {
            volume.source = bindSource(source)
            volume.createHostPath = true
        } else {
            volume.source = source
            if !context.volumes.contains(source) {
                sink.error(node, path, "refers to undefined volume \"\(source)\" (declare it under the top-level `volumes:`)")
            }
        }
        return volume
    }

    mutating func longVolume(_ node: YNode, _ path: String, context: ProjectContext) -> ServiceVolume? {
        checkKeys(node, ["type", "source", "target", "read_only", "bind", "volume", "tmpfs", "consistency", "image"], path: path)
        guard let typeNode = node["type"] else {
            sink.error(node, path, "long volume syntax needs `type` (bind, volume or tmpfs)")
            return nil
        }
        guard let typeText = string(typeNode, "\(path).type") else { return nil }
        guard let kind = ServiceVolume.Kind(rawValue: typeText) else {
            sink.error(typeNode, "\(path).type", "invalid volume type \"\(typeText)\" (expected bind, volume, tmpfs, npipe, image or cluster)")
            return nil
        }
        guard let targetNode = node["target"], let target = string(targetNode, "\(path).target") else {
            sink.error(node, path, "long volume syntax needs `target` (the container path)")
            return nil
        }
        var volume = ServiceVolume(type: kind, source: nil, target: PathUtil.clean(target), readOnly: false)
        if let n = node["read_only"] { volume.readOnly = bool(n, "\(path).read_only") ?? false }
        if let n = node["consistency"] { volume.consistency = string(n, "\(path).consistency") }
        let source = node["source"].flatMap { string($0, "\(path).source") }
        switch kind {
        case .bind:
            guard let source else {
                sink.error(node, path, "a bind mount needs `source` (the host path)")
                return nil
            }
            volume.source = bindSource(source)
            volume.createHostPath = false
            if let b = node["bind"], mapping(b, "\(path).bind") != nil {
                checkKeys(b, ["propagation", "create_host_path", "selinux", "recursive"], path: "\(path).bind")
                if let n = b["propagation"], let prop = string(n, "\(path).bind.propagation") {
                    if !Self.propagations.contains(prop) {
                        sink.error(
                            n, "\(path).bind.propagation", "invalid propagation \"\(prop)\" (expected shared, rshared, slave, rslave, private or rprivate)")
                    }
                    volume.propagation = prop
                }
                if let n = b["create_host_path"] { volume.createHostPath = bool(n, "\(path).bind.create_host_path") }
                if let n = b["selinux"] { volume.selinux = string(n, "\(path).bind.selinux") }
            }
        case .volume:
            volume.source = source
            if let source, !context.volumes.contains(source) {
                sink.error(node["source"]!, "\(path).source", "refers to undefined volume \"\(source)\" (declare it under the top-level `volumes:`)")
            }
            if let v = node["volume"], mapping(v, "\(path).volume") != nil {
                checkKeys(v, ["nocopy", "subpath"], path: "\(path).volume")
                if let n = v["nocopy"] { volume.noCopy = bool(n, "\(path).volume.nocopy") }
            }
        case .tmpfs:
            if let t = node["tmpfs"], mapping(t, "\(path).tmpfs") != nil {
                checkKeys(t, ["size", "mode"], path: "\(path).tmpfs")
                if let n = t["size"] { volume.tmpfsSize = bytes(n, "\(path).tmpfs.size") }
                if let n = t["mode"] { volume.tmpfsMode = int(n, "\(path).tmpfs.mode") }
            }
        default:
            volume.source = source
        }
        return volume
    }

    /// Host paths: `~` expands to HOME, relative paths resolve against the project directory.
    func hostPath(_ path: String) -> String {
        var p = path
        if p == "~" || p.hasPrefix("~/"), let home { p = home + p.dropFirst() }
        return PathUtil.absolute(p, relativeTo: projectDirectory)
    }

    // MARK: Networks, dependencies, healthcheck

    mutating func serviceNetworks(_ node: YNode, _ path: String, context: ProjectContext) -> [ServiceNetwork] {
        var out: [ServiceNetwork] = []
        func check(_ name: String, _ at: YNode, _ p: String) {
            if name != "default" && !context.networks.contains(name) {
                sink.error(at, p, "refers to undefined network \"\(name)\" (declare it under the top-level `networks:`)")
            }
        }
        if let items = node.sequence {
            for (i, item) in items.enumerated() {
                guard let name = scalarString(item, "\(path)[\(i)]") else { continue }
                check(name, item, "\(path)[\(i)]")
                out.append(ServiceNetwork(name: name, aliases: [], ipv4Address: nil, ipv6Address: nil, priority: nil))
            }
        } else if let pairs = node.mapping {
            for (k, v) in pairs {
                guard let name = k.scalar else { continue }
                let p = "\(path).\(name)"
                check(name, k, p)
                var net = ServiceNetwork(name: name, aliases: [], ipv4Address: nil, ipv6Address: nil, priority: nil)
                if !v.isNull, mapping(v, p) != nil {
                    checkKeys(
                        v,
                        [
                            "aliases", "ipv4_address", "ipv6_address", "priority", "link_local_ips", "mac_address",
                            "driver_opts", "gw_priority", "interface_name",
                        ], path: p)
                    if let n = v["aliases"] { net.aliases = stringList(n, "\(p).aliases") }
                    if let n = v["ipv4_address"] { net.ipv4Address = string(n, "\(p).ipv4_address") }
                    if let n = v["ipv6_address"] { net.ipv6Address = string(n, "\(p).ipv6_address") }
                    if let n = v["priority"] { net.priority = int(n, "\(p).priority") }
                }
                out.append(net)
            }
        } else {
            sink.error(node, path, "expected a list of network names or a mapping, found \(node.kindName)")
        }
        return out.sorted { $0.name < $1.name }
    }

    mutating func dependsOn(_ node: YNode, _ path: String, nodes: inout [String: YNode]) -> [ServiceDependency] {
        var out: [ServiceDependency] = []
        if let items = node.sequence {
            for (i, item) in items.enumerated() {
                guard let name = scalarString(item, "\(path)[\(i)]") else { continue }
                nodes[name] = item
                out.append(ServiceDependency(service: name, condition: .started, required: true, restart: false))
            }
        } else if let pairs = node.mapping {
            for (k, v) in pairs {
                guard let name = k.scalar else { continue }
                let p = "\(path).\(name)"
                nodes[name] = k
                var dep = ServiceDependency(service: name, condition: .started, required: true, restart: false)
                if !v.isNull, mapping(v, p) != nil {
                    checkKeys(v, ["condition", "required", "restart"], path: p)
                    if let n = v["condition"], let c = string(n, "\(p).condition") {
                        if let condition = ServiceDependency.Condition(rawValue: c) {
                            dep.condition = condition
                        } else {
                            sink.error(
                                n, "\(p).condition", "invalid condition \"\(c)\" (expected service_started, service_healthy or service_completed_successfully)")
                        }
                    }
                    if let n = v["required"] { dep.required = bool(n, "\(p).required") ?? true }
                    if let n = v["restart"] { dep.restart = bool(n, "\(p).restart") ?? false }
                }
                out.append(dep)
            }
        } else {
            sink.error(node, path, "expected a list of service names or a mapping, found \(node.kindName)")
        }
        return out
    }

    mutating func healthcheck(_ node: YNode, _ path: String) -> Healthcheck? {
        guard mapping(node, path) != nil else { return nil }
        checkKeys(node, ["test", "interval", "timeout", "start_period", "start_interval", "retries", "disable"], path: path)
        var h = Healthcheck(test: nil, interval: nil, timeout: nil, startPeriod: nil, startInterval: nil, retries: nil, disable: false)
        if let n = node["test"] {
            if let text = n.scalar {
                h.test = ["CMD-SHELL", text]
            } else {
                let list = stringList(n, "\(path).test")
                if let first = list.first, !["CMD", "CMD-SHELL", "NONE"].contains(first) {
                    sink.error(n, "\(path).test", "a test list must start with CMD, CMD-SHELL or NONE, found \"\(first)\"")
                } else if list.isEmpty {
                    sink.error(n, "\(path).test", "empty test (expected [\"CMD\", ...], [\"CMD-SHELL\", \"...\"] or a string)")
                }
                h.test = list
            }
        }
        if let n = node["interval"] { h.interval = duration(n, "\(path).interval") }
        if let n = node["timeout"] { h.timeout = duration(n, "\(path).timeout") }
        if let n = node["start_period"] { h.startPeriod = duration(n, "\(path).start_period") }
        if let n = node["start_interval"] { h.startInterval = duration(n, "\(path).start_interval") }
        if let n = node["retries"] {
            h.retries = int(n, "\(path).retries")
            if let r = h.retries, r < 0 { sink.error(n, "\(path).retries", "retries must not be negative") }
        }
        if let n = node["disable"] { h.disable = bool(n, "\(path).disable") ?? false }
        if h.test == ["NONE"] { h.disable = true }
        if h.disable && h.test != nil && h.test != ["NONE"] && node["disable"] != nil {
            sink.error(node["disable"]!, "\(path).disable", "`disable: true` cannot be combined with a test")
        }
        return h
    }

    // MARK: Other service keys

    mutating func devices(_ node: YNode, _ path: String) -> [DeviceMapping] {
        guard let items = sequence(node, path) else { return [] }
        var out: [DeviceMapping] = []
        for (i, item) in items.enumerated() {
            let p = "\(path)[\(i)]"
            if item.mapping != nil {
                checkKeys(item, ["source", "target", "permissions"], path: p)
                guard let s = item["source"].flatMap({ string($0, "\(p).source") }) else {
                    sink.error(item, p, "a device needs `source`")
                    continue
                }
                let t = item["target"].flatMap { string($0, "\(p).target") } ?? s
                out.append(DeviceMapping(source: s, target: t, permissions: item["permissions"]?.scalar ?? "rwm"))
                continue
            }
            guard let text = scalarString(item, p) else { continue }
            let parts = text.split(separator: ":").map(String.init)
            guard (1...3).contains(parts.count), parts[0].hasPrefix("/") else {
                sink.error(item, p, "invalid device \"\(text)\" (expected /host/path[:/container/path[:permissions]])")
                continue
            }
            out.append(
                DeviceMapping(
                    source: parts[0], target: parts.count > 1 ? parts[1] : parts[0],
                    permissions: parts.count > 2 ? parts[2] : "rwm"))
        }
        return out
    }

    mutating func extraHosts(_ node: YNode, _ path: String) -> [String] {
        var out: [String] = []
        if let items = node.sequence {
            for (i, item) in items.enumerated() {
                guard let text = scalarString(item, "\(path)[\(i)]") else { continue }
                guard let sep = text.firstIndex(of: "=") ?? text.firstIndex(of: ":") else {
                    sink.error(item, "\(path)[\(i)]", "invalid extra host \"\(text)\" (expected host:ip or host=ip)")
                    continue
                }
                out.append("\(text[..<sep]):\(text[text.index(after: sep)...])")
            }
        } else if let pairs = node.mapping {
            for (k, v) in pairs {
                guard let host = k.scalar, let ip = scalarString(v, "\(path).\(k.scalar ?? "?")") else { continue }
                out.append("\(host):\(ip)")
            }
        } else {
            sink.error(node, path, "expected a list of host:ip or a mapping, found \(node.kindName)")
        }
        return out
    }

    mutating func ulimits(_ node: YNode, _ path: String) -> [String: Ulimit] {
        guard let pairs = mapping(node, path) else { return [:] }
        var out: [String: Ulimit] = [:]
        for (k, v) in pairs {
            guard let name = k.scalar else { continue }
            let p = "\(path).\(name)"
            if v.mapping != nil {
                checkKeys(v, ["soft", "hard"], path: p)
                guard let soft = v["soft"].flatMap({ int($0, "\(p).soft") }), let hard = v["hard"].flatMap({ int($0, "\(p).hard") }) else {
                    if v["soft"] == nil || v["hard"] == nil { sink.error(v, p, "a ulimit mapping needs both soft and hard") }
                    continue
                }
                if soft > hard { sink.error(v, p, "soft limit \(soft) is above the hard limit \(hard)") }
                out[name] = Ulimit(soft: Int64(soft), hard: Int64(hard))
            } else if let n = int(v, p) {
                out[name] = Ulimit(soft: Int64(n), hard: Int64(n))
            }
        }
        return out
    }

    mutating func logging(_ node: YNode, _ path: String) -> Logging? {
        guard mapping(node, path) != nil else { return nil }
        checkKeys(node, ["driver", "options"], path: path)
        return Logging(
            driver: node["driver"].flatMap { string($0, "\(path).driver") },
            options: node["options"].map { stringMap($0, "\(path).options") } ?? [:])
    }

    mutating func deploy(_ node: YNode, _ path: String) -> DeployConfig? {
        guard let pairs = mapping(node, path) else { return nil }
        checkKeys(
            node,
            [
                "mode", "replicas", "labels", "update_config", "rollback_config", "resources", "restart_policy",
                "placement", "endpoint_mode",
            ], path: path)
        var d = DeployConfig(mode: nil, replicas: nil, limits: nil, reservations: nil, other: [:])
        for (k, v) in pairs {
            guard let key = k.scalar else { continue }
            let p = "\(path).\(key)"
            switch key {
            case "mode":
                d.mode = string(v, p)
                if let m = d.mode, !["replicated", "global", "replicated-job", "global-job"].contains(m) {
                    sink.error(v, p, "invalid deploy mode \"\(m)\" (expected replicated or global)")
                }
            case "replicas":
                d.replicas = replicaCount(v, p)
            case "resources":
                guard mapping(v, p) != nil else { continue }
                checkKeys(v, ["limits", "reservations"], path: p)
                if let l = v["limits"] { d.limits = resources(l, "\(p).limits", reservations: false) }
                if let r = v["reservations"] { d.reservations = resources(r, "\(p).reservations", reservations: true) }
            default:
                if let value = plain(v) { d.other[key] = value }
            }
        }
        return d
    }

    mutating func resources(_ node: YNode, _ path: String, reservations: Bool) -> ResourceSpec? {
        guard mapping(node, path) != nil else { return nil }
        checkKeys(node, reservations ? ["cpus", "memory", "pids", "devices", "generic_resources"] : ["cpus", "memory", "pids"], path: path)
        var r = ResourceSpec()
        if let n = node["cpus"] { r.cpus = cpus(n, "\(path).cpus") }
        if let n = node["memory"] { r.memory = bytes(n, "\(path).memory") }
        if let n = node["pids"] { r.pids = int(n, "\(path).pids").map(Int64.init) }
        if reservations, let n = node["devices"], let items = sequence(n, "\(path).devices") {
            for (i, item) in items.enumerated() {
                if let request = deviceRequest(item, "\(path).devices[\(i)]") { r.devices.append(request) }
            }
        }
        if reservations, let n = node["generic_resources"] { r.genericResources = genericResources(n, "\(path).generic_resources") }
        return r
    }

    /// One device request (`deploy.resources.reservations.devices[i]` or `gpus[i]`).
    mutating func deviceRequest(_ item: YNode, _ p: String) -> DeviceRequest? {
        guard mapping(item, p) != nil else { return nil }
        checkKeys(item, ["driver", "count", "device_ids", "capabilities", "options"], path: p)
        var request = DeviceRequest()
        if let d = item["driver"] { request.driver = string(d, "\(p).driver") }
        if let c = item["count"], let text = string(c, "\(p).count") {
            if text == "all" {
                request.count = -1
            } else if let value = Int(text), value >= 0 {
                request.count = value
            } else {
                sink.error(c, "\(p).count", "expected a number of devices or all, found \"\(text)\"")
            }
        }
        if let ids = item["device_ids"] { request.deviceIDs = stringList(ids, "\(p).device_ids") }
        if let caps = item["capabilities"] { request.capabilities = stringList(caps, "\(p).capabilities") }
        if let o = item["options"] { request.options = stringMap(o, "\(p).options") }
        if request.count != nil && !request.deviceIDs.isEmpty {
            sink.error(item, p, "`count` and `device_ids` cannot be used together")
        }
        if request.count == nil && request.deviceIDs.isEmpty { request.count = -1 }
        return request
    }

    /// `gpus: all` or a list of device requests (compose v2's service key; `docker run --gpus`).
    mutating func gpus(_ node: YNode, _ path: String) -> [DeviceRequest] {
        if let text = node.scalar {
            if text == "all" { return [DeviceRequest(count: -1)] }
            sink.error(node, path, "expected all or a list of device requests, found \"\(text)\"")
            return []
        }
        guard let items = sequence(node, path) else { return [] }
        return items.enumerated().compactMap { i, item in deviceRequest(item, "\(path)[\(i)]") }
    }

    /// `blkio_config`, normalised: weight, weight_device and the four throttles, rates in bytes or IOPS.
    mutating func blkioConfig(_ node: YNode, _ path: String) -> ComposeValue? {
        guard mapping(node, path) != nil else { return nil }
        let throttles = ["device_read_bps", "device_read_iops", "device_write_bps", "device_write_iops"]
        checkKeys(node, Set(["weight", "weight_device"] + throttles), path: path)
        var out: [ComposeValue.Pair] = []
        for key in ["device_read_bps", "device_read_iops", "device_write_bps", "device_write_iops", "weight", "weight_device"] {
            guard let v = node[key] else { continue }
            let p = "\(path).\(key)"
            if key == "weight" {
                if let n = int(v, p) { out.append(.init(key, .int(Int64(n)))) }
                continue
            }
            guard let items = sequence(v, p) else { continue }
            var entries: [ComposeValue] = []
            for (i, item) in items.enumerated() {
                let ip = "\(p)[\(i)]"
                guard mapping(item, ip) != nil else { continue }
                let field = key == "weight_device" ? "weight" : "rate"
                checkKeys(item, ["path", field], path: ip)
                guard let pathNode = item["path"], let devicePath = string(pathNode, "\(ip).path") else {
                    sink.error(item, ip, "missing `path`")
                    continue
                }
                guard let valueNode = item[field] else {
                    sink.error(item, ip, "missing `\(field)`")
                    continue
                }
                let number: Int64?
                if key.hasSuffix("_bps") { number = bytes(valueNode, "\(ip).\(field)") } else { number = int(valueNode, "\(ip).\(field)").map(Int64.init) }
                if let number { entries.append(.object([.init("path", .string(devicePath)), .init(field, .int(number))])) }
            }
            out.append(.init(key, .array(entries)))
        }
        return .object(out)
    }

    mutating func fileReferences(_ node: YNode, _ path: String, defined: Set<String>, kind: String) -> [FileReference] {
        guard let items = sequence(node, path) else { return [] }
        var out: [FileReference] = []
        for (i, item) in items.enumerated() {
            let p = "\(path)[\(i)]"
            var ref: FileReference
            if item.mapping != nil {
                checkKeys(item, ["source", "target", "uid", "gid", "mode"], path: p)
                guard let source = item["source"].flatMap({ string($0, "\(p).source") }) else {
                    sink.error(item, p, "a \(kind) reference needs `source`")
                    continue
                }
                ref = FileReference(source: source, target: "", uid: nil, gid: nil, mode: nil)
                if let n = item["target"] { ref.target = string(n, "\(p).target") ?? "" }
                if let n = item["uid"] { ref.uid = string(n, "\(p).uid") }
                if let n = item["gid"] { ref.gid = string(n, "\(p).gid") }
                if let n = item["mode"], let text = scalarString(n, "\(p).mode") {
                    if let m = Int(text, radix: text.hasPrefix("0") ? 8 : 10) {
                        ref.mode = m
                    } else {
                        sink.error(n, "\(p).mode", "expected a file mode such as 0440, found \"\(text)\"")
                    }
                }
            } else if let source = scalarString(item, p) {
                ref = FileReference(source: source, target: "", uid: nil, gid: nil, mode: nil)
            } else {
                continue
            }
            if !defined.contains(ref.source) {
                sink.error(item, p, "refers to undefined \(kind) \"\(ref.source)\" (declare it under the top-level `\(kind)s:`)")
            }
            if ref.target.isEmpty {
                ref.target = kind == "secret" ? "/run/secrets/\(ref.source)" : "/\(ref.source)"
            } else if kind == "secret" && !ref.target.hasPrefix("/") {
                ref.target = "/run/secrets/\(ref.target)"
            }
            out.append(ref)
        }
        return out
    }

    mutating func envFileEntries(_ node: YNode, _ path: String) -> [(String, Bool, YNode, String)] {
        if let text = node.scalar { return [(text, true, node, path)] }
        guard let items = sequence(node, path) else { return [] }
        var out: [(String, Bool, YNode, String)] = []
        for (i, item) in items.enumerated() {
            let p = "\(path)[\(i)]"
            if item.mapping != nil {
                checkKeys(item, ["path", "required", "format"], path: p)
                guard let file = item["path"].flatMap({ string($0, "\(p).path") }) else {
                    sink.error(item, p, "an env_file entry needs `path`")
                    continue
                }
                out.append((file, item["required"].flatMap { bool($0, "\(p).required") } ?? true, item, p))
            } else if let file = scalarString(item, p) {
                out.append((file, true, item, p))
            }
        }
        return out
    }

    // MARK: - Typed accessors (each reports what it expected)

    mutating func checkKeys(_ node: YNode, _ allowed: Set<String>, path: String) {
        for (key, _) in node.mapping ?? [] {
            guard let name = key.scalar else {
                sink.error(key, path, "mapping keys must be strings")
                continue
            }
            if name.hasPrefix("x-") || allowed.contains(name) { continue }
            let renamed = Self.renamedKeys[name].flatMap { new in
                allowed.contains(String(new.prefix(while: { $0 != "." }))) ? new : nil
            }
            let suggestion = (renamed ?? Self.closest(name, in: allowed)).map { " (did you mean `\($0)`?)" } ?? ""
            sink.error(key, path.isEmpty ? name : "\(path).\(name)", "unknown key `\(name)`\(suggestion)")
        }
    }

    /// Keys of the version 1 format and what replaced them; no edit distance finds these.
    static let renamedKeys: [String: String] = [
        "net": "network_mode", "log_driver": "logging.driver", "log_opt": "logging.options",
        "dockerfile": "build.dockerfile", "cpu_set": "cpuset", "mem_swap_limit": "memswap_limit",
    ]

    static func closest(_ word: String, in candidates: Set<String>) -> String? {
        func distance(_ a: String, _ b: String) -> Int {
            let a = Array(a), b = Array(b)
            var row = Array(0...b.count)
            for i in 1...max(a.count, 1) where !a.isEmpty {
                var prev = row[0]
                row[0] = i
                for j in 1...max(b.count, 1) where !b.isEmpty {
                    let old = row[j]
                    row[j] = min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] == b[j - 1] ? 0 : 1))
                    prev = old
                }
            }
            return row[b.count]
        }
        var best: (String, Int)?
        for candidate in candidates.sorted() {
            let d = distance(word, candidate)
            if best == nil || d < best!.1 { best = (candidate, d) }
        }
        guard let best, best.1 <= max(2, word.count / 3) else { return nil }
        return best.0
    }

    /// Named entries of a top-level mapping (`services`, `networks`, ...).
    mutating func entries(_ node: YNode?, path: String) -> [((name: String, node: YNode), YNode)] {
        guard let node, !node.isNull else { return [] }
        guard let pairs = mapping(node, path) else { return [] }
        return pairs.compactMap { k, v in
            guard let name = k.scalar else {
                sink.error(k, path, "expected a name, found \(k.kindName)")
                return nil
            }
            return ((name, k), v)
        }
    }

    mutating func mapping(_ node: YNode, _ path: String) -> [(key: YNode, value: YNode)]? {
        if let m = node.mapping { return m }
        sink.error(node, path, "expected a mapping, found \(node.kindName)")
        return nil
    }

    mutating func sequence(_ node: YNode, _ path: String) -> [YNode]? {
        if let s = node.sequence { return s }
        sink.error(node, path, "expected a list, found \(node.kindName)")
        return nil
    }

    /// A scalar as text (numbers and booleans included).
    mutating func string(_ node: YNode, _ path: String) -> String? {
        if let s = node.scalar { return s }
        sink.error(node, path, "expected a string, found \(node.kindName)")
        return nil
    }

    mutating func scalarString(_ node: YNode, _ path: String) -> String? { string(node, path) }

    mutating func int(_ node: YNode, _ path: String) -> Int? {
        guard let text = string(node, path) else { return nil }
        if let v = Int(text) { return v }
        sink.error(node, path, "expected an integer, found \"\(text)\"")
        return nil
    }

    mutating func bool(_ node: YNode, _ path: String) -> Bool? {
        guard let text = string(node, path) else { return nil }
        switch text.lowercased() {
        case "true", "yes", "y", "on": return true
        case "false", "no", "n", "off": return false
        default:
            sink.error(node, path, "expected a boolean (true or false), found \"\(text)\"")
            return nil
        }
    }

    mutating func duration(_ node: YNode, _ path: String) -> ComposeDuration? {
        guard let text = string(node, path) else { return nil }
        if let d = ComposeDuration(parsing: text), d.nanoseconds >= 0 { return d }
        sink.error(node, path, "invalid duration \"\(text)\" (expected e.g. 30s, 1m30s, 500ms)")
        return nil
    }

    mutating func bytes(_ node: YNode, _ path: String) -> Int64? {
        guard let text = string(node, path) else { return nil }
        if let b = ByteSize.parse(text) { return b }
        sink.error(node, path, "invalid byte size \"\(text)\" (expected e.g. 512m, 1g, 1048576)")
        return nil
    }

    mutating func stringList(_ node: YNode, _ path: String) -> [String] {
        guard let items = sequence(node, path) else { return [] }
        return items.enumerated().compactMap { i, item in string(item, "\(path)[\(i)]") }
    }

    mutating func stringOrList(_ node: YNode, _ path: String) -> [String] {
        if let s = node.scalar { return [s] }
        return stringList(node, path)
    }

    mutating func stringMap(_ node: YNode, _ path: String) -> [String: String] {
        guard let pairs = mapping(node, path) else { return [:] }
        var out: [String: String] = [:]
        for (k, v) in pairs {
            guard let key = k.scalar else { continue }
            if let value = string(v, "\(path).\(key)") { out[key] = value }
        }
        return out
    }

    /// `["K=V", "K"]` or `{K: V, K2: null}`; a missing value is nil.
    mutating func keyValuesOptional(_ node: YNode, _ path: String) -> [(String, String?)] {
        var out: [(String, String?)] = []
        if let items = node.sequence {
            for (i, item) in items.enumerated() {
                if let kind = Self.nonStringKind(item) {
                    sink.error(item, "\(path)[\(i)]", "expected a string (\"KEY=VALUE\" or \"KEY\"), found \(kind)")
                    continue
                }
                guard let text = string(item, "\(path)[\(i)]") else { continue }
                if let eq = text.firstIndex(of: "=") {
                    let key = String(text[..<eq])
                    if key.isEmpty { sink.error(item, "\(path)[\(i)]", "empty variable name in \"\(text)\"") }
                    out.append((key, String(text[text.index(after: eq)...])))
                } else {
                    out.append((text, nil))
                }
            }
        } else if let pairs = node.mapping {
            for (k, v) in pairs {
                guard let key = k.scalar else { continue }
                if v.isNull { out.append((key, nil)); continue }
                if v.scalar == nil {
                    sink.error(v, "\(path).\(key)", "expected a string, number or boolean, found \(v.kindName)")
                    continue
                }
                out.append((key, v.scalar))
            }
        } else if !node.isNull {
            sink.error(node, path, "expected a list of KEY=VALUE or a mapping, found \(node.kindName)")
        }
        return out
    }

    func keyValuesOptionalQuiet(_ node: YNode?) -> [(String, String?)] {
        guard let node else { return [] }
        var copy = self
        return copy.keyValuesOptional(node, "")
    }

    mutating func keyValues(_ node: YNode, _ path: String, nullValue: String) -> [String: String] {
        var out: [String: String] = [:]
        for (k, v) in keyValuesOptional(node, path) { out[k] = v ?? nullValue }
        return out
    }

    /// The node as a plain value (scalars typed as YAML 1.2 core would: null, bool, int, float, string).
    func plain(_ node: YNode) -> ComposeValue? {
        switch node.value {
        case .scalar(let s, let isPlain):
            if node.isNull { return .null }
            if isPlain {
                if s == "true" || s == "True" || s == "TRUE" { return .bool(true) }
                if s == "false" || s == "False" || s == "FALSE" { return .bool(false) }
                if let i = Int64(s) { return .int(i) }
                if let d = Double(s), s.contains(".") { return .double(d) }
            }
            return .string(s)
        case .sequence(let items):
            return .array(items.compactMap(plain))
        case .mapping(let pairs):
            return .object(pairs.compactMap { k, v in k.scalar.map { ComposeValue.Pair($0, plain(v) ?? .null) } })
        }
    }
}
