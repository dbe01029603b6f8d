/// Checks of single values and of a whole service that keep hostile or mistaken input out of the
/// model: each reports a located diagnostic and returns nil (or nothing) when the value is refused.
extension Normaliser {
    /// The most replicas (`scale`, `deploy.replicas`) of one service. The planner holds a container
    /// per replica; a number in the billions would run it out of memory long before the engine
    /// refused anything. A single host runs a few thousand containers at most.
    static let maximumReplicas = 10_000

    /// The most services one compose file may define: as many as the containers a host runs. The
    /// loader refuses more right after parsing (a file of 60,000 services would otherwise cost
    /// seconds and hundreds of MB before any check could refuse it).
    static let maximumServices = 10_000

    /// The most CPUs `cpus` may ask for: the engine takes `NanoCpus` (CPUs x 10^9) as an Int64.
    /// Whether the host has that many is the engine's business at create time, not the loader's.
    static let maximumCPUs = Double(Int64.max / 1_000_000_000)

    /// `restart`: no, always, unless-stopped, on-failure[:max-retries]; an empty value (an unset
    /// variable) is no policy, as compose and the engine read it.
    mutating func restartPolicy(_ node: YNode, _ path: String) -> String? {
        guard let policy = string(node, path) else { return nil }
        if policy.isEmpty { return nil }
        let valid =
            ["no", "always", "unless-stopped", "on-failure"].contains(policy)
            || (policy.hasPrefix("on-failure:") && Int(policy.dropFirst("on-failure:".count)).map { $0 >= 0 } == true)
        if !valid {
            sink.error(node, path, "invalid restart policy \"\(policy)\" (expected no, always, on-failure[:max-retries] or unless-stopped)")
        }
        return policy
    }

    /// A number of CPUs: finite, not negative, and small enough for the engine's NanoCpus.
    mutating func cpus(_ node: YNode, _ path: String) -> Double? {
        guard let text = string(node, path) else { return nil }
        guard let cpus = Double(text), cpus.isFinite, cpus >= 0 else {
            sink.error(node, path, "expected a number of CPUs (e.g. 0.5), found \"\(text)\"")
            return nil
        }
        guard cpus <= Self.maximumCPUs else {
            sink.error(node, path, "too many CPUs: \(text) (at most \(Int64(Self.maximumCPUs)), the engine counts them in nanoCPUs)")
            return nil
        }
        return cpus
    }

    /// `scale` or `deploy.replicas`: an integer from 0 to `maximumReplicas`.
    mutating func replicaCount(_ node: YNode, _ path: String) -> Int? {
        guard let count = int(node, path) else { return nil }
        guard count >= 0 else {
            sink.error(node, path, "replicas must not be negative")
            return nil
        }
        guard count <= Self.maximumReplicas else {
            sink.error(node, path, "too many replicas: \(count) (at most \(Self.maximumReplicas) containers of one service)")
            return nil
        }
        return count
    }

    /// `labels` over the labels of `label_file` (a path or a list of paths, in order, env-file
    /// syntax), as compose-go's WithServicesLabelsResolved merges them: explicit labels win.
    mutating func labelsWithFiles(_ node: YNode, _ path: String, labels: [String: String]) -> [String: String] {
        let entries: [(YNode, String)]
        if node.scalar != nil {
            entries = [(node, path)]
        } else if let items = sequence(node, path) {
            entries = items.enumerated().map { ($1, "\(path)[\($0)]") }
        } else {
            return labels
        }
        var fromFiles: [String: String] = [:]
        for (item, itemPath) in entries {
            guard let file = string(item, itemPath) else { continue }
            let absolute = hostPath(file)
            do {
                let text = try ComposeLoader.read(absolute)
                let known = fromFiles
                for e in try DotEnv.parse(text, file: absolute, lookup: { known[$0] }) { fromFiles[e.key] = e.value }
            } catch {
                if case .invalid(let list) = error {
                    sink.errors.append(contentsOf: list)
                } else {
                    sink.error(item, itemPath, "label file \(absolute): \(error.description)")
                }
            }
        }
        return fromFiles.merging(labels) { _, explicit in explicit }
    }

    /// Two mounts on one container path (volumes and tmpfs): the engine refuses the create with
    /// "Duplicate mount point", so the loader refuses the file, as compose-go's checkConsistency does.
    mutating func checkMountTargets(_ service: YNode, _ path: String) {
        var seen: [String: String] = [:]  // container path -> key path of its first mount
        func claim(_ target: String?, _ node: YNode, _ at: String) {
            guard let target, target.hasPrefix("/") else { return }
            let clean = PathUtil.clean(target)
            if let first = seen[clean] {
                sink.error(node, at, "target \(clean) is already mounted by \(first) (one mount per container path)")
            } else {
                seen[clean] = at
            }
        }
        if let tmpfs = service["tmpfs"] {
            let items = tmpfs.sequence ?? [tmpfs]
            for (i, item) in items.enumerated() {
                let at = tmpfs.sequence == nil ? "\(path).tmpfs" : "\(path).tmpfs[\(i)]"
                claim(item.scalar.map { String($0.prefix(while: { $0 != ":" })) }, item, at)
            }
        }
        for (i, item) in (service["volumes"]?.sequence ?? []).enumerated() {
            claim(Merge.volumeTarget(item), item, "\(path).volumes[\(i)]")
        }
    }

    /// What a plain scalar is when YAML types it as something other than a string ("null", "a
    /// boolean", "a number"), or nil. Compose's schema wants strings in `KEY=VALUE` lists.
    static func nonStringKind(_ node: YNode) -> String? {
        guard case .scalar(let text, plain: true) = node.value else { return nil }
        if node.isNull { return "null" }
        if ["true", "True", "TRUE", "false", "False", "FALSE"].contains(text) { return "a boolean" }
        if Int64(text) != nil { return "a number" }
        let unsigned = text.hasPrefix("-") || text.hasPrefix("+") ? String(text.dropFirst()) : text
        if [".inf", ".Inf", ".INF", ".nan", ".NaN", ".NAN"].contains(unsigned) { return "a number" }
        if unsigned.hasPrefix("0x"), Int64(unsigned.dropFirst(2), radix: 16) != nil { return "a number" }
        if unsigned.hasPrefix("0o"), Int64(unsigned.dropFirst(2), radix: 8) != nil { return "a number" }
        if Double(unsigned) != nil, unsigned.first.map({ $0.isNumber || $0 == "." }) == true,
            unsigned.allSatisfy({ $0.isNumber || $0 == "." || $0 == "e" || $0 == "E" || $0 == "-" || $0 == "+" })
        {
            return "a number"
        }
        return nil
    }
}
