/// Merging of several compose files, following compose's override rules:
/// - mappings merge key by key, recursively; a scalar or sequence in the later file replaces the earlier one
///   (so `command`, `entrypoint`, `healthcheck.test` are replaced);
/// - `environment`, `labels`, `sysctls`, `build.args`, `extra_hosts` (list or map) merge by key;
/// - `networks` and `depends_on` (list or map) merge by name;
/// - `volumes` merge by container path, `ports` append unless identical,
///   `secrets`/`configs` merge by source;
/// - `expose`, `dns`, `dns_search`, `cap_add`, `cap_drop`, `devices`, `env_file`, `profiles`,
///   `security_opt`, `tmpfs`, `links`, `external_links`, `volumes_from` append, without duplicates;
/// - `build` given as a string is the same as `{context: string}`;
/// - the compose spec's merge tags: `!reset` on a value in a later file removes that key from what the
///   earlier files gave (and the value itself), `!override` replaces it instead of merging (`tags`).
enum Merge {
    /// Where a file puts `!reset` and `!override`: key paths from the document root.
    struct Tags {
        var paths: [[String]] = []
    }

    /// The file without its `!reset` values (keys and sequence items) and the key paths of every
    /// `!reset` and `!override`, which `clearing` removes from the earlier files before the merge, as
    /// compose-go's ResetProcessor does. A tagged sequence item is only dropped from its own file.
    static func tags(_ node: YNode) -> (YNode, Tags) {
        var tags = Tags()
        func walk(_ node: YNode, _ path: [String]) -> YNode {
            var out = node
            out.tag = nil
            switch node.value {
            case .scalar:
                return out
            case .sequence(let items):
                out.value = .sequence(items.filter { $0.tag != .reset }.map { walk($0, path) })
            case .mapping(let pairs):
                var kept: [(key: YNode, value: YNode)] = []
                for pair in pairs {
                    let key = pair.key.scalar ?? ""
                    if pair.value.tag != nil { tags.paths.append(path + [key]) }
                    if pair.value.tag == .reset { continue }
                    kept.append((pair.key, walk(pair.value, path + [key])))
                }
                out.value = .mapping(kept)
            }
            return out
        }
        let clean = walk(node, [])
        return (clean, tags)
    }

    /// `base` without what `tags` name: a mapping key, or in a list such as `environment: [K=V]` or
    /// `depends_on: [db]`, the items for that key.
    static func clearing(_ base: YNode, _ tags: Tags) -> YNode {
        func remove(_ node: YNode, _ path: ArraySlice<String>) -> YNode {
            guard let key = path.first else { return node }
            var out = node
            if let pairs = node.mapping {
                if path.count == 1 {
                    out.value = .mapping(pairs.filter { $0.key.scalar != key })
                } else {
                    out.value = .mapping(pairs.map { $0.key.scalar == key ? ($0.key, remove($0.value, path.dropFirst())) : $0 })
                }
            } else if let items = node.sequence, path.count == 1 {
                out.value = .sequence(
                    items.filter { item in
                        guard let text = item.scalar else { return true }
                        return text != key && !text.hasPrefix(key + "=")
                    })
            }
            return out
        }
        return tags.paths.reduce(base) { remove($0, $1[...]) }
    }

    static func project(_ base: YNode, _ override: YNode) -> YNode {
        mergeMapping(base, override) { key, a, b in
            switch key {
            case "services":
                return mergeMapping(a, b) { _, s1, s2 in service(s1, s2) }
            case "networks", "volumes", "secrets", "configs":
                return mergeMapping(a, b) { _, x, y in deep(x, y) }
            default:
                return deep(a, b)
            }
        }
    }

    static func service(_ base: YNode, _ override: YNode) -> YNode {
        mergeMapping(base, override) { key, a, b in
            switch key {
            case "environment", "labels", "sysctls", "annotations":
                return byKey(keyed(a), keyed(b))
            case "extra_hosts":
                return byKey(keyed(a, hosts: true), keyed(b, hosts: true))
            case "networks", "depends_on":
                return byKey(named(a), named(b))
            case "build":
                return mergeMapping(buildMapping(a), buildMapping(b)) { k, x, y in
                    k == "args" || k == "labels" ? byKey(keyed(x), keyed(y)) : deep(x, y)
                }
            case "volumes":
                return appendUnique(a, b) { volumeTarget($0) }
            case "secrets", "configs":
                return appendUnique(a, b) { $0.scalar ?? $0["source"]?.scalar }
            case "ports", "expose", "dns", "dns_search", "cap_add", "cap_drop", "devices", "env_file", "profiles",
                "security_opt", "tmpfs", "links", "external_links", "volumes_from", "dns_opt", "group_add", "label_file":
                return appendUnique(a, b) { $0.scalar }
            default:
                return deep(a, b)
            }
        }
    }

    /// Mappings merge recursively; anything else is replaced.
    static func deep(_ a: YNode, _ b: YNode) -> YNode {
        if a.mapping != nil, b.mapping != nil { return mergeMapping(a, b) { _, x, y in deep(x, y) } }
        return b
    }

    static func mergeMapping(_ a: YNode, _ b: YNode, _ merge: (String, YNode, YNode) -> YNode) -> YNode {
        guard var pairs = a.mapping, let overrides = b.mapping else { return b }
        for (key, value) in overrides {
            let name = key.scalar ?? ""
            if let i = pairs.firstIndex(where: { $0.key.scalar == name }) {
                pairs[i] = (pairs[i].key, merge(name, pairs[i].value, value))
            } else {
                pairs.append((key, value))
            }
        }
        return YNode(.mapping(pairs), a.location)
    }

    /// `["K=V", "K2"]` or `{K: V}` as a mapping (a list entry without `=` maps to null).
    static func keyed(_ node: YNode, hosts: Bool = false) -> YNode {
        guard let items = node.sequence else { return node }
        let pairs: [(key: YNode, value: YNode)] = items.map { item in
            let text = item.scalar ?? ""
            let separator = text.firstIndex(of: "=") ?? (hosts ? text.firstIndex(of: ":") : nil)
            if let eq = separator {
                return (
                    YNode(.scalar(String(text[..<eq]), plain: false), item.location),
                    YNode(.scalar(String(text[text.index(after: eq)...]), plain: false), item.location)
                )
            }
            return (YNode(.scalar(text, plain: false), item.location), YNode(.scalar("", plain: true), item.location))
        }
        return YNode(.mapping(pairs), node.location)
    }

    /// `[a, b]` or `{a: ..., b: ...}` as a mapping.
    static func named(_ node: YNode) -> YNode {
        guard let items = node.sequence else { return node }
        return YNode(.mapping(items.map { ($0, YNode(.scalar("", plain: true), $0.location)) }), node.location)
    }

    static func byKey(_ a: YNode, _ b: YNode) -> YNode {
        mergeMapping(a, b) { _, x, y in deep(x, y) }
    }

    static func buildMapping(_ node: YNode) -> YNode {
        if let context = node.scalar {
            return YNode(
                .mapping([(YNode(.scalar("context", plain: true), node.location), YNode(.scalar(context, plain: false), node.location))]),
                node.location)
        }
        return node
    }

    static func appendUnique(_ a: YNode, _ b: YNode, key: (YNode) -> String?) -> YNode {
        guard var items = a.sequence, let more = b.sequence else { return b }
        for item in more {
            if let k = key(item), let i = items.firstIndex(where: { key($0) == k }) {
                items[i] = item
            } else {
                items.append(item)
            }
        }
        return YNode(.sequence(items), a.location)
    }

    /// The container path of a volume entry (short or long syntax).
    static func volumeTarget(_ node: YNode) -> String? {
        if let text = node.scalar {
            let parts = VolumeSyntax.split(text)
            return parts.count == 1 ? parts[0] : parts[1]
        }
        return node["target"]?.scalar
    }
}

/// The short volume syntax `[source:]target[:mode]`, where a Windows source keeps its drive letter
/// (`C:\data:/data:ro`), as compose-go's `format.ParseVolume` reads it.
enum VolumeSyntax {
    static func split(_ text: String) -> [String] {
        let scalars = Array(text.unicodeScalars)
        var parts = [String]()
        var start = 0
        if scalars.count >= 2, scalars[1] == ":", isLetter(scalars[0]) { start = 2 }  // `C:` is not a separator
        var current = String.UnicodeScalarView(scalars[0..<start])
        for c in scalars[start...] {
            if c == ":" {
                parts.append(String(current))
                current = String.UnicodeScalarView()
            } else {
                current.append(c)
            }
        }
        parts.append(String(current))
        return parts
    }

    /// `C:\x`, `C:/x` or `\\server\share`: absolute on Windows, so never resolved against the project directory.
    static func isWindowsAbsolute(_ path: String) -> Bool {
        let s = Array(path.unicodeScalars)
        if s.count >= 2, s[0] == "\\", s[1] == "\\" { return true }
        return s.count >= 3 && isLetter(s[0]) && s[1] == ":" && (s[2] == "\\" || s[2] == "/")
    }

    private static func isLetter(_ c: Unicode.Scalar) -> Bool {
        (c >= "a" && c <= "z") || (c >= "A" && c <= "Z")
    }
}
