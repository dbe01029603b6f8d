import Foundation
import Logging

/// The deployment manifest (stacks/stackpilot.yml): which compose files form the deployment and in
/// which order, the shared network, where Prometheus and Grafana answer, where Grafana's credentials
/// come from (variable names only), the dashboards folder, and what doctor expects of each scrape target.
public struct Manifest: Sendable, Codable, Equatable {
    /// The manifest's default location, relative to the current directory.
    public static let defaultRelativePath = "stacks/stackpilot.yml"
    /// Environment variable that overrides the location (the `--manifest` flag wins over it).
    public static let environmentVariable = "STACKPILOT_MANIFEST"

    public struct Stack: Sendable, Codable, Equatable {
        /// Compose project name.
        public var project: String
        /// Absolute path of the compose file.
        public var file: String
    }

    public struct Credentials: Sendable, Codable, Equatable {
        public var userEnv: String
        public var passwordEnv: String
        public var defaultUser: String
        public var defaultPassword: String

        /// The credentials from an environment (see `Manifest.interpolationEnvironment`); empty or unset
        /// variables fall back to the defaults, as the stack's `${VAR:-admin}` does. Never log the result.
        public func resolve(_ environment: [String: String]) -> (user: String, password: String) {
            let user = environment[userEnv].flatMap { $0.isEmpty ? nil : $0 } ?? defaultUser
            let password = environment[passwordEnv].flatMap { $0.isEmpty ? nil : $0 } ?? defaultPassword
            return (user, password)
        }
    }

    public struct Endpoint: Sendable, Codable, Equatable {
        public var url: String
    }

    public struct GrafanaEndpoint: Sendable, Codable, Equatable {
        public var url: String
        public var credentials: Credentials
    }

    /// A Prometheus scrape target and what it must expose.
    public struct Target: Sendable, Codable, Equatable {
        public var job: String
        public var service: String
        public var project: String
        /// Address Prometheus scrapes on the shared network (`api:5000`).
        public var address: String
        /// Where the metrics answer from the host (`http://127.0.0.1:5000/metrics`).
        public var metricsURL: String
        public var metrics: [String]
    }

    /// `swarm:`: how the deployment runs on Docker Swarm (see `Swarm`); nil when the manifest has none.
    public struct Swarm: Sendable, Codable, Equatable {
        /// `enabled: true` makes Swarm the target of every command of this manifest, without `--swarm`.
        public var enabled: Bool
        /// `registry: HOST[:PORT][/PATH]`: where `up --swarm` pushes the images it finds only on this
        /// engine (built or local), and the name the services refer to them by; nodes pull from it.
        /// Nil: images are referred to as written and every node must be able to pull them.
        public var registry: String?
    }

    /// Absolute path of the manifest file.
    public var path: String
    /// Its directory; relative paths in the manifest resolve against it.
    public var directory: String
    public var deployment: [Stack]
    public var network: String
    public var prometheus: Endpoint
    public var grafana: GrafanaEndpoint
    /// Absolute path of the dashboards folder.
    public var dashboardsDirectory: String
    public var targets: [Target]
    /// Where `network:` is written (for diagnostics about the shared network).
    public var networkLocation: SourceLocation?
    public var swarm: Swarm? = nil

    /// Where the manifest is: `explicit` (--manifest), else STACKPILOT_MANIFEST, else
    /// stacks/stackpilot.yml under `currentDirectory`. Returns an absolute path (not checked for existence).
    public static func locate(
        explicit: String? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        currentDirectory: String = FileManager.default.currentDirectoryPath
    ) -> String {
        let chosen = explicit ?? environment[environmentVariable].flatMap { $0.isEmpty ? nil : $0 } ?? defaultRelativePath
        return PathUtil.absolute(chosen, relativeTo: currentDirectory)
    }

    /// Loads and validates a manifest; errors name file, line, column and key path, all of them at once.
    public static func load(path: String) throws(ComposeError) -> Manifest {
        let absolute = PathUtil.absolute(path, relativeTo: FileManager.default.currentDirectoryPath)
        let text = try ComposeLoader.read(absolute)
        guard let root = try YAMLTree.parse(text, file: absolute) else {
            throw .invalid([
                ComposeDiagnostic(
                    location: SourceLocation(file: absolute, line: 1, column: 1), path: "",
                    message: "empty manifest (expected deployment, prometheus, grafana, targets)")
            ])
        }
        var n = Normaliser(
            projectName: "manifest", projectDirectory: PathUtil.directory(of: absolute), environment: [:], home: nil,
            sink: DiagnosticSink())
        let directory = PathUtil.directory(of: absolute)
        var manifest = Manifest(
            path: absolute, directory: directory, deployment: [], network: "",
            prometheus: Endpoint(url: ""),
            grafana: GrafanaEndpoint(
                url: "",
                credentials: Credentials(
                    userEnv: "", passwordEnv: "", defaultUser: "admin", defaultPassword: "admin")),
            dashboardsDirectory: directory, targets: [], networkLocation: nil)
        guard n.mapping(root, "") != nil else { throw .invalid(n.sink.sortedErrors) }
        n.checkKeys(root, ["manifest_version", "deployment", "network", "prometheus", "grafana", "dashboards", "targets", "swarm"], path: "")

        func required(_ node: YNode, _ key: String, _ path: String, _ n: inout Normaliser) -> YNode? {
            if let v = node[key] { return v }
            n.sink.error(node, path.isEmpty ? key : "\(path).\(key)", "missing `\(key)`")
            return nil
        }
        func url(_ node: YNode, _ path: String, _ n: inout Normaliser) -> String {
            guard let text = n.string(node, path) else { return "" }
            guard let u = URL(string: text), ["http", "https"].contains(u.scheme ?? ""), u.host != nil else {
                n.sink.error(node, path, "expected an http(s) URL, found \"\(text)\"")
                return text
            }
            return text
        }

        if let v = root["manifest_version"], let version = n.int(v, "manifest_version"), version != 1 {
            n.sink.error(v, "manifest_version", "unsupported manifest_version \(version) (expected 1)")
        }
        if let list = required(root, "deployment", "", &n), let items = n.sequence(list, "deployment") {
            if items.isEmpty { n.sink.error(list, "deployment", "expected at least one compose file") }
            for (i, item) in items.enumerated() {
                let p = "deployment[\(i)]"
                guard n.mapping(item, p) != nil else { continue }
                n.checkKeys(item, ["project", "file"], path: p)
                let project = required(item, "project", p, &n).flatMap { n.string($0, "\(p).project") } ?? ""
                if let node = item["project"], !project.isEmpty, !ProjectName.isValid(project) {
                    n.sink.error(
                        node, "\(p).project", "invalid project name \"\(project)\" (lowercase letters, digits, - and _, starting with a letter or digit)")
                }
                let file = required(item, "file", p, &n).flatMap { n.string($0, "\(p).file") } ?? ""
                let absoluteFile = PathUtil.absolute(file, relativeTo: directory)
                if let node = item["file"], !file.isEmpty, !FileManager.default.fileExists(atPath: absoluteFile) {
                    n.sink.error(node, "\(p).file", "compose file \(absoluteFile) not found")
                }
                manifest.deployment.append(Stack(project: project, file: absoluteFile))
            }
        }
        if let v = required(root, "network", "", &n) {
            manifest.network = n.string(v, "network") ?? ""
            manifest.networkLocation = v.location
        }
        if let p = required(root, "prometheus", "", &n), n.mapping(p, "prometheus") != nil {
            n.checkKeys(p, ["url"], path: "prometheus")
            if let u = required(p, "url", "prometheus", &n) { manifest.prometheus.url = url(u, "prometheus.url", &n) }
        }
        if let g = required(root, "grafana", "", &n), n.mapping(g, "grafana") != nil {
            n.checkKeys(g, ["url", "credentials"], path: "grafana")
            if let u = required(g, "url", "grafana", &n) { manifest.grafana.url = url(u, "grafana.url", &n) }
            if let c = required(g, "credentials", "grafana", &n), n.mapping(c, "grafana.credentials") != nil {
                n.checkKeys(c, ["user_env", "password_env", "default_user", "default_password"], path: "grafana.credentials")
                func variable(_ key: String) -> String? {
                    let path = "grafana.credentials.\(key)"
                    guard let node = required(c, key, "grafana.credentials", &n), let name = n.string(node, path) else { return nil }
                    if !DotEnv.isValidKey(name) {
                        n.sink.error(node, path, "expected the name of an environment variable, found \"\(name)\"")
                    }
                    return name
                }
                manifest.grafana.credentials.userEnv = variable("user_env") ?? ""
                manifest.grafana.credentials.passwordEnv = variable("password_env") ?? ""
                if let d = c["default_user"] { manifest.grafana.credentials.defaultUser = n.string(d, "grafana.credentials.default_user") ?? "admin" }
                if let d = c["default_password"] {
                    manifest.grafana.credentials.defaultPassword = n.string(d, "grafana.credentials.default_password") ?? "admin"
                }
            }
        }
        if let d = required(root, "dashboards", "", &n), let text = n.string(d, "dashboards") {
            manifest.dashboardsDirectory = PathUtil.absolute(text, relativeTo: directory)
        }
        if let list = required(root, "targets", "", &n), let items = n.sequence(list, "targets") {
            for (i, item) in items.enumerated() {
                let p = "targets[\(i)]"
                guard n.mapping(item, p) != nil else { continue }
                n.checkKeys(item, ["job", "service", "project", "address", "metrics_url", "metrics"], path: p)
                var t = Target(job: "", service: "", project: "", address: "", metricsURL: "", metrics: [])
                t.job = required(item, "job", p, &n).flatMap { n.string($0, "\(p).job") } ?? ""
                t.service = required(item, "service", p, &n).flatMap { n.string($0, "\(p).service") } ?? ""
                t.project = required(item, "project", p, &n).flatMap { n.string($0, "\(p).project") } ?? ""
                if let node = item["project"], !t.project.isEmpty, !manifest.deployment.contains(where: { $0.project == t.project }) {
                    n.sink.error(node, "\(p).project", "project \"\(t.project)\" is not in `deployment`")
                }
                t.address = required(item, "address", p, &n).flatMap { n.string($0, "\(p).address") } ?? ""
                if let u = required(item, "metrics_url", p, &n) { t.metricsURL = url(u, "\(p).metrics_url", &n) }
                if let m = required(item, "metrics", p, &n) {
                    t.metrics = n.stringList(m, "\(p).metrics")
                    for (j, name) in t.metrics.enumerated() where !isMetricName(name) {
                        n.sink.error(m.sequence?[j] ?? m, "\(p).metrics[\(j)]", "invalid metric name \"\(name)\"")
                    }
                }
                manifest.targets.append(t)
            }
        }
        if let node = root["swarm"] { manifest.swarm = swarmSettings(node, &n) }
        guard n.sink.errors.isEmpty else { throw .invalid(n.sink.sortedErrors) }
        return manifest
    }

    /// `swarm: {enabled: BOOL, registry: HOST[:PORT][/PATH]}` (both optional; `swarm: {}` is valid).
    static func swarmSettings(_ node: YNode, _ n: inout Normaliser) -> Swarm? {
        guard n.mapping(node, "swarm") != nil else { return nil }
        n.checkKeys(node, ["enabled", "registry"], path: "swarm")
        var swarm = Swarm(enabled: false, registry: nil)
        if let v = node["enabled"] { swarm.enabled = n.bool(v, "swarm.enabled") ?? false }
        if let v = node["registry"], let text = n.string(v, "swarm.registry") {
            if isRegistry(text) {
                swarm.registry = text
            } else {
                n.sink.error(v, "swarm.registry", "expected a registry as HOST[:PORT][/PATH] (e.g. 127.0.0.1:5000), found \"\(text)\"")
            }
        }
        return swarm
    }

    /// `HOST[:PORT][/PATH]` as an image reference starts: no scheme, no tag, no spaces.
    static func isRegistry(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, Normaliser.isAlnum(first), !text.contains("://"), !text.hasSuffix("/") else { return false }
        return text.unicodeScalars.allSatisfy { Normaliser.isAlnum($0) || ".-_:/".unicodeScalars.contains($0) }
    }

    static func isMetricName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, Interpolation.isNameStart(first) || first == ":" else { return false }
        return name.unicodeScalars.allSatisfy { Interpolation.isNameChar($0) || $0 == ":" }
    }

    /// The environment the stacks are interpolated with: `envFiles` (or `.env` in the manifest's
    /// directory when none are given) under the process environment, exactly as `loadProjects` and
    /// docker compose see it. Use it to resolve `grafana.credentials`.
    public func interpolationEnvironment(
        _ environment: [String: String] = ProcessInfo.processInfo.environment, envFiles: [String] = []
    ) throws(ComposeError) -> [String: String] {
        var merged: [String: String] = [:]
        var files = envFiles.map { PathUtil.absolute($0, relativeTo: FileManager.default.currentDirectoryPath) }
        if files.isEmpty, FileManager.default.fileExists(atPath: PathUtil.join(directory, ".env")) {
            files = [PathUtil.join(directory, ".env")]
        }
        for file in files {
            let text = try ComposeLoader.read(file)
            for e in try DotEnv.parse(text, file: file, lookup: { environment[$0] ?? merged[$0] }) { merged[e.key] = e.value }
        }
        for (k, v) in environment { merged[k] = v }
        return merged
    }

    /// Grafana's admin user and password for this deployment (environment, then env file, then defaults).
    public func grafanaCredentials(
        environment: [String: String] = ProcessInfo.processInfo.environment, envFiles: [String] = []
    ) throws(ComposeError) -> (user: String, password: String) {
        grafana.credentials.resolve(try interpolationEnvironment(environment, envFiles: envFiles))
    }

    /// The swarm overlay of a stack's compose file: `X.swarm.yml` beside `X.yml` (`.yaml` alike),
    /// merged over it when the deployment is a swarm; nil when there is none.
    public static func swarmOverlay(of file: String) -> String? {
        let url = URL(fileURLWithPath: file)
        let ext = url.pathExtension
        guard ext == "yml" || ext == "yaml" else { return nil }
        let overlay = url.deletingPathExtension().appendingPathExtension("swarm").appendingPathExtension(ext).path
        return FileManager.default.fileExists(atPath: overlay) ? overlay : nil
    }

    /// Loads every compose file of the deployment, in order, with its project name. Errors of all files
    /// are reported together. With `swarm`, a stack's `X.swarm.yml` (see `swarmOverlay(of:)`) is merged
    /// over its `X.yml`, as a second `-f` file.
    public func loadProjects(
        loader: ComposeLoader = ComposeLoader(),
        environment: [String: String] = ProcessInfo.processInfo.environment,
        envFiles: [String] = [],
        swarm: Bool = false
    ) throws(ComposeError) -> [ComposeProject] {
        var projects: [ComposeProject] = []
        var diagnostics: [ComposeDiagnostic] = []
        for stack in deployment {
            do {
                var options = ComposeLoadOptions(
                    files: [stack.file] + (swarm ? Self.swarmOverlay(of: stack.file).map { [$0] } ?? [] : []), projectName: stack.project,
                    envFiles: envFiles.map { PathUtil.absolute($0, relativeTo: FileManager.default.currentDirectoryPath) },
                    environment: environment, currentDirectory: directory)
                options.swarm = swarm
                projects.append(try loader.load(options))
            } catch {
                if case .invalid(let list) = error { diagnostics.append(contentsOf: list) } else { throw error }
            }
        }
        if !diagnostics.isEmpty { throw .invalid(diagnostics) }
        // The shared network: every stack joins it, the first stack that uses it creates it, and a
        // stack that joins it as external comes after that one (else `up` would fail at the engine).
        let at = networkLocation ?? SourceLocation(file: path, line: 1, column: 1)
        var created = false
        for (stack, project) in zip(deployment, projects) {
            let uses = project.networks.values.filter { $0.name == network }
            if uses.isEmpty {
                diagnostics.append(
                    ComposeDiagnostic(
                        location: at, path: "network",
                        message:
                            "\(stack.file) (project \(stack.project)) does not use the shared network \"\(network)\" (expected a network with `name: \(network)`)"
                    ))
            } else if uses.contains(where: { !$0.external }) {
                created = true
            } else if !created {
                diagnostics.append(
                    ComposeDiagnostic(
                        location: at, path: "network",
                        message: "\(stack.file) (project \(stack.project)) joins \"\(network)\" as external, but no earlier stack in `deployment` creates it"))
            }
        }
        if !diagnostics.isEmpty { throw .invalid(diagnostics) }
        return projects
    }

    /// The target scraped under `job`.
    public func target(job: String) -> Target? { targets.first { $0.job == job } }
}
