/// Merging of several compose files, following compose's override rules:
/// - mappings merge key by key, recursively; a scalar or sequence in the later file replaces the earlier one
///   (so `command`, `entrypoint`, `healthcheck.test` are replaced);
/// - `environment`, `labels`, `sysctls`, `build.args`, `extra_hosts` (list or map) merge by key;
/// - `networks` and `depends_on` (list or map) merge by name;
/// - `volumes` merge by container path, `ports` append unless identical,
///   `secrets`/`configs` merge by source;
/// - `expose`, `dns`, `dns_search`, `cap_add`, `cap_drop`, `devices`, `env_file`, `profiles`,
///   `security_opt`, `tmpfs`, `links`, `external_links`, `volumes_from` append, without duplicates;
/// - `build` given as a string is the same as `{context: string}`.
enum Merge {
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
                 "security_opt", "tmpfs", "links", "external_links", "volumes_from", "dns_opt", "group_add":
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
                return (YNode(.scalar(String(text[..<eq]), plain: false), item.location),
                        YNode(.scalar(String(text[text.index(after: eq)...]), plain: false), item.location))
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
            return YNode(.mapping([(YNode(.scalar("context", plain: true), node.location), YNode(.scalar(context, plain: false), node.location))]),
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
            let parts = text.split(separator: ":", omittingEmptySubsequences: false)
            return parts.count == 1 ? String(parts[0]) : String(parts[1])
        }
        return node["target"]?.scalar
    }
}
