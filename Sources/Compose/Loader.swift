import Foundation
import Logging

/// What to load: the `-f` files, project name, directory, env files and the environment.
public struct ComposeLoadOptions: Sendable {
    /// Compose files in order (later ones override earlier ones). Relative paths are resolved against `currentDirectory`.
    public var files: [String]
    /// `-p`; must already be a valid project name.
    public var projectName: String?
    /// Defaults to the first file's directory.
    public var projectDirectory: String?
    /// `--env-file`; when empty, `<projectDirectory>/.env` is read if it exists.
    public var envFiles: [String]
    /// The process environment; it takes precedence over `.env`.
    public var environment: [String: String]
    /// Profiles to enable (plus COMPOSE_PROFILES); services with other profiles are left out.
    public var profiles: [String]
    public var currentDirectory: String
    /// The files are deployed to Docker Swarm: keys take their swarm disposition (`ServiceKey.swarm`)
    /// and swarm-only mistakes (a host bind mount, `replicas` with `mode: global`, ...) are errors.
    public var swarm = false

    public init(
        files: [String],
        projectName: String? = nil,
        projectDirectory: String? = nil,
        envFiles: [String] = [],
        environment: [String: String] = ProcessInfo.processInfo.environment,
        profiles: [String] = [],
        currentDirectory: String = FileManager.default.currentDirectoryPath
    ) {
        self.files = files
        self.projectName = projectName
        self.projectDirectory = projectDirectory
        self.envFiles = envFiles
        self.environment = environment
        self.profiles = profiles
        self.currentDirectory = currentDirectory
    }
}

/// Loads compose files into a validated `ComposeProject`: read, parse (keeping line and column),
/// interpolate values, merge the files as compose does, validate everything (all errors are
/// reported together) and normalise.
public struct ComposeLoader: Sendable {
    public var logger: Logger

    /// The largest compose file the loader parses (1 MiB; real stacks are a few KB, the largest
    /// setups of the parity corpus tens of KB). With `Normaliser.maximumServices` it bounds what a
    /// hostile file can cost before it is refused.
    public static let maximumFileSize = 1 << 20

    public init(logger: Logger = Logger(label: "stackpilot.compose")) {
        self.logger = logger
    }

    public func load(_ options: ComposeLoadOptions) throws(ComposeError) -> ComposeProject {
        guard !options.files.isEmpty else { throw .usage("no compose file given") }
        let files = options.files.map { PathUtil.absolute($0, relativeTo: options.currentDirectory) }
        let projectDirectory =
            options.projectDirectory.map { PathUtil.absolute($0, relativeTo: options.currentDirectory) }
            ?? PathUtil.directory(of: files[0])

        // The interpolation environment: .env (or --env-file) under the process environment.
        var environment: [String: String] = [:]
        var envFileValues: [String: String] = [:]  // what came from env files is sensitive (see Redaction)
        let envFiles: [String]
        if options.envFiles.isEmpty {
            let dotenv = PathUtil.join(projectDirectory, ".env")
            envFiles = FileManager.default.fileExists(atPath: dotenv) ? [dotenv] : []
        } else {
            envFiles = options.envFiles.map { PathUtil.absolute($0, relativeTo: options.currentDirectory) }
        }
        for path in envFiles {
            let text = try Self.read(path)
            let entries = try DotEnv.parse(text, file: path) { name in options.environment[name] ?? environment[name] }
            for e in entries { environment[e.key] = e.value; envFileValues[e.key] = e.value }
        }
        for (k, v) in options.environment { environment[k] = v }
        let knownSecrets = Redaction.interpolationSecrets(environment: environment, envFileValues: envFileValues)
        let masker = Redactor(values: knownSecrets)  // errors may quote interpolated values

        var sink = DiagnosticSink()
        var unsetVariables: [String: (YNode, String)] = [:]
        // Each file without its `!reset` values, and where its merge tags are (before interpolation,
        // which rebuilds the scalars).
        var parsed: [(root: YNode, tags: Merge.Tags)] = []
        for file in files {
            let text = try Self.read(file)
            guard text.utf8.count <= Self.maximumFileSize else {
                // Refused before parsing: the parse alone costs about a microsecond and 100 bytes of
                // memory per byte of YAML.
                sink.error(
                    SourceLocation(file: file, line: 1, column: 1), "",
                    "compose file too large: \(text.utf8.count) bytes (at most \(Self.maximumFileSize))")
                continue
            }
            guard let root = try YAMLTree.parse(text, file: file) else {
                sink.error(SourceLocation(file: file, line: 1, column: 1), "", "empty compose file (expected a mapping with services)")
                continue
            }
            guard root.mapping != nil else {
                sink.error(root, "", "expected a mapping at the top level, found \(root.kindName)")
                continue
            }
            if let legacy = Self.legacyServices(root) {
                // One line instead of an unknown-key error per service and a missing `services`.
                sink.error(root, "", "this is a legacy (version 1) compose file: services are at the top level (\(legacy)); put them under `services:`")
                continue
            }
            if let services = root["services"]?.mapping, services.count > Normaliser.maximumServices {
                // Refused before interpolation, merging and normalising, which cost tens of
                // microseconds and kilobytes per service (60,000 services: seconds, hundreds of MB).
                sink.error(root["services"]!, "services", "too many services: \(services.count) (at most \(Normaliser.maximumServices) in one file)")
                continue
            }
            parsed.append(Merge.tags(root))
        }
        guard sink.errors.isEmpty else { throw .invalid(masker.mask(sink.sortedErrors)) }

        // Project name: -p > COMPOSE_PROJECT_NAME > name: > directory name. It is decided before
        // interpolation, which sees it as COMPOSE_PROJECT_NAME (the spec says so; compose-go does it).
        let name: String
        if let explicit = options.projectName ?? environment["COMPOSE_PROJECT_NAME"].flatMap({ $0.isEmpty ? nil : $0 }) {
            guard ProjectName.isValid(explicit) else {
                throw .usage(
                    "invalid project name \"\(explicit)\": it must contain only lowercase letters, digits, dashes and underscores, and start with a letter or digit"
                )
            }
            name = explicit
        } else if let fromFile = Self.nameFromFiles(parsed.map(\.root), environment: environment) {
            name = fromFile
        } else {
            let fromDirectory = ProjectName.normalise(URL(fileURLWithPath: projectDirectory).lastPathComponent)
            guard !fromDirectory.isEmpty else {
                throw .usage("cannot derive a project name from the directory \(projectDirectory); give one with -p")
            }
            name = fromDirectory
        }
        environment["COMPOSE_PROJECT_NAME"] = name
        let lookupEnvironment = environment

        func failure(_ sink: DiagnosticSink) -> ComposeError {
            var warnings = sink.warnings
            for (variable, (node, path)) in unsetVariables.sorted(by: { $0.key < $1.key }) {
                warnings.append(
                    ComposeDiagnostic(
                        location: node.location, path: path,
                        message: "the \(variable) variable is not set; defaulting to a blank string"))
            }
            warnings = masker.mask(warnings)
            for warning in warnings { logger.warning("\(warning)") }
            return .invalid(
                masker.mask(sink.sortedErrors)
                    + warnings.map {
                        ComposeDiagnostic(location: $0.location, path: $0.path, message: $0.message, severity: .warning)
                    })
        }

        var roots: [(root: YNode, tags: Merge.Tags)] = []
        for (root, tags) in parsed {
            let interpolated = Self.interpolate(root, path: "", lookup: { lookupEnvironment[$0] }, sink: &sink, unset: &unsetVariables)
            roots.append((interpolated, tags))
        }
        guard sink.errors.isEmpty else { throw failure(sink) }

        var merged = roots[0].root
        for (override, tags) in roots.dropFirst() { merged = Merge.project(Merge.clearing(merged, tags), override) }

        var profiles = Set(options.profiles)
        if let env = lookupEnvironment["COMPOSE_PROFILES"] {
            profiles.formUnion(env.split(separator: ",").map { $0.trimmingSpaces }.filter { !$0.isEmpty })
        }
        var normaliser = Normaliser(
            projectName: name, projectDirectory: projectDirectory, environment: lookupEnvironment,
            home: options.environment["HOME"], sink: sink)
        normaliser.swarm = options.swarm
        let project = normaliser.project(merged, files: files, activeProfiles: profiles)
        sink = normaliser.sink
        guard sink.errors.isEmpty, var result = project else { throw failure(sink) }
        for (variable, (node, path)) in unsetVariables.sorted(by: { $0.key < $1.key }) {
            sink.warning(node, path, "the \(variable) variable is not set; defaulting to a blank string")
        }
        result.warnings = masker.mask(sink.warnings)
        result.sensitiveValues = Redaction.collect(project: result, environment: lookupEnvironment, known: knownSecrets)
        for warning in result.warnings { logger.warning("\(warning)") }
        return result
    }

    /// The project name from the files' `name:` (the last one set wins, interpolated), normalised;
    /// nil when none gives a usable name.
    static func nameFromFiles(_ roots: [YNode], environment: [String: String]) -> String? {
        guard let raw = roots.compactMap({ $0["name"]?.scalar }).last(where: { !$0.isEmpty }) else { return nil }
        // A broken `name:` is reported by the interpolation of the whole file.
        guard let text = try? Interpolation.interpolate(raw, lookup: { environment[$0] }) else { return nil }
        let normalised = ProjectName.normalise(text)
        return normalised.isEmpty ? nil : normalised
    }

    /// The top-level keys that look like services of a version 1 file (no `services:`, top-level
    /// mappings with `image` or `build`), or nil.
    static func legacyServices(_ root: YNode) -> String? {
        guard root["services"] == nil else { return nil }
        let names = (root.mapping ?? []).compactMap { pair -> String? in
            guard let key = pair.key.scalar, !Normaliser.topLevelKeys.contains(key), !key.hasPrefix("x-"),
                pair.value["image"] != nil || pair.value["build"] != nil
            else { return nil }
            return key
        }
        guard !names.isEmpty else { return nil }
        return names.count <= 3 ? names.joined(separator: ", ") : names.prefix(3).joined(separator: ", ") + ", ..."
    }

    static func read(_ path: String) throws(ComposeError) -> String {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw .unreadable(path: path, reason: "no such file")
        }
        guard !isDirectory.boolValue else { throw .unreadable(path: path, reason: "is a directory") }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .unreadable(path: path, reason: "permission denied or I/O error")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw .unreadable(path: path, reason: "not UTF-8 text")
        }
        return text
    }

    /// Interpolates every scalar value (never mapping keys), recording errors with their key path.
    static func interpolate(
        _ node: YNode, path: String, lookup: (String) -> String?, sink: inout DiagnosticSink,
        unset: inout [String: (YNode, String)]
    ) -> YNode {
        switch node.value {
        case .scalar(let text, let plain):
            guard text.contains("$") else { return node }
            var missing: [String] = []
            do {
                let value = try Interpolation.interpolate(text, lookup: lookup, unset: { missing.append($0) })
                for name in missing where unset[name] == nil { unset[name] = (node, path) }
                return YNode(.scalar(value, plain: plain && value == text), node.location)
            } catch {
                sink.error(node, path, error.description)
                return node
            }
        case .sequence(let items):
            return YNode(
                .sequence(
                    items.enumerated().map { i, item in
                        interpolate(item, path: "\(path)[\(i)]", lookup: lookup, sink: &sink, unset: &unset)
                    }), node.location)
        case .mapping(let pairs):
            return YNode(
                .mapping(
                    pairs.map { pair in
                        let key = pair.key.scalar ?? "?"
                        let childPath = path.isEmpty ? key : "\(path).\(key)"
                        return (pair.key, interpolate(pair.value, path: childPath, lookup: lookup, sink: &sink, unset: &unset))
                    }), node.location)
        }
    }
}

/// Project names as compose normalises them.
public enum ProjectName {
    /// Lowercase, only `[a-z0-9_-]`, starting with a letter or digit.
    public static func normalise(_ raw: String) -> String {
        let kept = raw.lowercased().unicodeScalars.filter {
            ($0 >= "a" && $0 <= "z") || ($0 >= "0" && $0 <= "9") || $0 == "_" || $0 == "-"
        }
        return String(String.UnicodeScalarView(kept.drop(while: { $0 == "_" || $0 == "-" })))
    }

    public static func isValid(_ name: String) -> Bool {
        !name.isEmpty && normalise(name) == name
    }
}

enum PathUtil {
    static func absolute(_ path: String, relativeTo base: String) -> String {
        let joined = path.hasPrefix("/") ? path : join(base, path)
        return clean(joined)
    }

    static func join(_ a: String, _ b: String) -> String {
        a.hasSuffix("/") ? a + b : a + "/" + b
    }

    static func directory(of path: String) -> String {
        let url = URL(fileURLWithPath: path)
        return clean(url.deletingLastPathComponent().path)
    }

    /// Removes `.`, `..`, duplicate and trailing slashes (lexically, like Go's filepath.Clean).
    static func clean(_ path: String) -> String {
        let absolute = path.hasPrefix("/")
        var parts: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == ".." {
                if let last = parts.last, last != ".." { parts.removeLast() } else if !absolute { parts.append(part) }
                continue
            }
            parts.append(part)
        }
        let body = parts.joined(separator: "/")
        if absolute { return "/" + body }
        return body.isEmpty ? "." : body
    }
}
