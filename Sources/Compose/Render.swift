import Foundation
import Yams

/// Rendering of the model as ordered plain values (compose key names), JSON (pretty or canonical) and YAML.
/// Redaction is a separate pass over these values (`Redaction.swift`).
extension ComposeProject {
    public static let redacted = Redaction.marker

    /// The project as compose-style plain values: `name`, `services`, `networks`, `volumes`, `secrets`, `configs`.
    public func plainValue() -> ComposeValue {
        var pairs: [ComposeValue.Pair] = [.init("name", .string(name))]
        pairs.append(.init("services", .object(services.map { .init($0.name, $0.plainValue()) })))
        if !networks.isEmpty {
            pairs.append(.init("networks", .object(networks.keys.sorted().map { .init($0, networks[$0]!.plainValue()) })))
        }
        if !volumes.isEmpty {
            pairs.append(.init("volumes", .object(volumes.keys.sorted().map { .init($0, volumes[$0]!.plainValue()) })))
        }
        if !secrets.isEmpty {
            pairs.append(.init("secrets", .object(secrets.keys.sorted().map { .init($0, secrets[$0]!.plainValue()) })))
        }
        if !configs.isEmpty {
            pairs.append(.init("configs", .object(configs.keys.sorted().map { .init($0, configs[$0]!.plainValue()) })))
        }
        return .object(pairs)
    }

    /// Config hash of one service (see `ServiceConfig.configHash`).
    public func configHash(service name: String) -> String? { service(named: name)?.configHash }
}

extension ServiceConfig {
    /// The service's config hash under this host's key (see `configHash(key:)` in Hash.swift).
    public var configHash: String { configHash(key: .host) }

    /// The service as compose-style values: each key of `ServiceKey.all` through its entry in
    /// `keyRenderers`, then the `x-*` extensions, sorted by key.
    public func plainValue() -> ComposeValue {
        var p: [ComposeValue.Pair] = []
        for key in ServiceKey.all {
            if let value = Self.keyRenderers[key.name]?(self, key.name) { p.append(.init(key.name, value)) }
        }
        for k in extensions.keys.sorted() { p.append(.init(k, extensions[k]!)) }
        return .object(p.sorted { $0.key < $1.key })
    }
}

extension ServiceVolume {
    func plainValue() -> ComposeValue {
        var p: [ComposeValue.Pair] = [.init("type", .string(type.rawValue))]
        if let s = source { p.append(.init("source", .string(s))) }
        p.append(.init("target", .string(target)))
        if readOnly { p.append(.init("read_only", .bool(true))) }
        if let c = consistency { p.append(.init("consistency", .string(c))) }
        var bind: [ComposeValue.Pair] = []
        if let prop = propagation { bind.append(.init("propagation", .string(prop))) }
        if let c = createHostPath { bind.append(.init("create_host_path", .bool(c))) }
        if let s = selinux { bind.append(.init("selinux", .string(s))) }
        if type == .bind, !bind.isEmpty { p.append(.init("bind", .object(bind))) }
        if let n = noCopy { p.append(.init("volume", .object([.init("nocopy", .bool(n))]))) }
        var tmp: [ComposeValue.Pair] = []
        if let s = tmpfsSize { tmp.append(.init("size", .int(s))) }
        if let m = tmpfsMode { tmp.append(.init("mode", .int(Int64(m)))) }
        if !tmp.isEmpty { p.append(.init("tmpfs", .object(tmp))) }
        return .object(p)
    }
}

extension ResourceSpec {
    func plainValue() -> ComposeValue {
        var p: [ComposeValue.Pair] = []
        if let c = cpus { p.append(.init("cpus", .double(c))) }
        if let m = memory { p.append(.init("memory", .int(m))) }
        if let n = pids { p.append(.init("pids", .int(n))) }
        if !devices.isEmpty { p.append(.init("devices", .array(devices.map(\.plainValue)))) }
        if !genericResources.isEmpty {
            p.append(
                .init(
                    "generic_resources",
                    .array(
                        genericResources.map {
                            .object([.init("discrete_resource_spec", .object([.init("kind", .string($0.kind)), .init("value", .int($0.value))]))])
                        })))
        }
        return .object(p)
    }
}

extension DeviceRequest {
    var plainValue: ComposeValue {
        var dp: [ComposeValue.Pair] = []
        if let driver { dp.append(.init("driver", .string(driver))) }
        if let count { dp.append(.init("count", count < 0 ? .string("all") : .int(Int64(count)))) }
        if !deviceIDs.isEmpty { dp.append(.init("device_ids", .array(deviceIDs.map(ComposeValue.string)))) }
        if !capabilities.isEmpty { dp.append(.init("capabilities", .array(capabilities.map(ComposeValue.string)))) }
        if !options.isEmpty { dp.append(.init("options", .object(options.keys.sorted().map { .init($0, .string(options[$0]!)) }))) }
        return .object(dp)
    }
}

extension FileReference {
    func plainValue() -> ComposeValue {
        var p: [ComposeValue.Pair] = [.init("source", .string(source)), .init("target", .string(target))]
        if let u = uid { p.append(.init("uid", .string(u))) }
        if let g = gid { p.append(.init("gid", .string(g))) }
        if let m = mode { p.append(.init("mode", .int(Int64(m)))) }
        return .object(p)
    }
}

extension NetworkConfig {
    func plainValue() -> ComposeValue {
        var p: [ComposeValue.Pair] = [.init("name", .string(name))]
        if let d = driver { p.append(.init("driver", .string(d))) }
        if !driverOpts.isEmpty { p.append(.init("driver_opts", .object(driverOpts.keys.sorted().map { .init($0, .string(driverOpts[$0]!)) }))) }
        if external { p.append(.init("external", .bool(true))) }
        if `internal` { p.append(.init("internal", .bool(true))) }
        if attachable { p.append(.init("attachable", .bool(true))) }
        if enableIPv6 { p.append(.init("enable_ipv6", .bool(true))) }
        if !labels.isEmpty { p.append(.init("labels", .object(labels.keys.sorted().map { .init($0, .string(labels[$0]!)) }))) }
        if let i = ipam { p.append(.init("ipam", i)) }
        return .object(p)
    }
}

extension VolumeConfig {
    func plainValue() -> ComposeValue {
        var p: [ComposeValue.Pair] = [.init("name", .string(name))]
        if let d = driver { p.append(.init("driver", .string(d))) }
        if !driverOpts.isEmpty { p.append(.init("driver_opts", .object(driverOpts.keys.sorted().map { .init($0, .string(driverOpts[$0]!)) }))) }
        if external { p.append(.init("external", .bool(true))) }
        if !labels.isEmpty { p.append(.init("labels", .object(labels.keys.sorted().map { .init($0, .string(labels[$0]!)) }))) }
        return .object(p)
    }
}

extension FileObjectConfig {
    func plainValue() -> ComposeValue {
        var p: [ComposeValue.Pair] = [.init("name", .string(name))]
        if let f = file { p.append(.init("file", .string(f))) }
        if let e = environment { p.append(.init("environment", .string(e))) }
        if content != nil { p.append(.init("content", .string(ComposeProject.redacted))) }
        if external { p.append(.init("external", .bool(true))) }
        return .object(p)
    }
}

extension ComposeValue {
    /// Canonical JSON: keys sorted, no whitespace, `/` not escaped.
    public func canonicalJSON() -> String {
        var out = ""
        write(to: &out, sortKeys: true, indent: nil, level: 0)
        return out
    }

    /// Readable JSON in the value's own key order, two-space indent.
    public func prettyJSON() -> String {
        var out = ""
        write(to: &out, sortKeys: false, indent: "  ", level: 0)
        return out
    }

    func write(to out: inout String, sortKeys: Bool, indent: String?, level: Int) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .double(let d):
            if d.rounded() == d, abs(d) < 1e15 { out += String(Int64(d)) } else { out += "\(d)" }
        case .string(let s): Self.writeString(s, to: &out)
        case .array(let items):
            if items.isEmpty { out += "[]"; return }
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += "," }
                if let indent { out += "\n" + String(repeating: indent, count: level + 1) }
                item.write(to: &out, sortKeys: sortKeys, indent: indent, level: level + 1)
            }
            if let indent { out += "\n" + String(repeating: indent, count: level) }
            out += "]"
        case .object(let pairs):
            if pairs.isEmpty { out += "{}"; return }
            let ordered = sortKeys ? pairs.sorted { $0.key < $1.key } : pairs
            out += "{"
            for (i, pair) in ordered.enumerated() {
                if i > 0 { out += "," }
                if let indent { out += "\n" + String(repeating: indent, count: level + 1) }
                Self.writeString(pair.key, to: &out)
                out += indent == nil ? ":" : ": "
                pair.value.write(to: &out, sortKeys: sortKeys, indent: indent, level: level + 1)
            }
            if let indent { out += "\n" + String(repeating: indent, count: level) }
            out += "}"
        }
    }

    static func writeString(_ s: String, to out: inout String) {
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "<": out += "\\u003c"  // as Go's encoding/json does
            case ">": out += "\\u003e"
            case "&": out += "\\u0026"
            default:
                if scalar.value < 0x20 {
                    out += String(format: "\\u%04x", scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }

    /// YAML in the value's own key order (through Yams' emitter).
    public func yaml() throws -> String {
        try Yams.serialize(node: yamlNode(), sortKeys: false)
    }

    /// Conservative: plain only for words that YAML cannot read as anything but this string.
    static func safePlain(_ s: String) -> Bool {
        guard let first = s.unicodeScalars.first,
            (first >= "a" && first <= "z") || (first >= "A" && first <= "Z") || first == "/" || first == "_"
        else { return false }
        let reserved: Set<String> = ["true", "false", "yes", "no", "on", "off", "null", "y", "n", "~"]
        guard !reserved.contains(s.lowercased()) else { return false }
        return s.unicodeScalars.allSatisfy {
            ($0 >= "a" && $0 <= "z") || ($0 >= "A" && $0 <= "Z") || ($0 >= "0" && $0 <= "9") || "_-./@=+,".unicodeScalars.contains($0)
        }
    }

    func yamlNode() -> Node {
        switch self {
        case .null: return Node("null", .implicit, .plain)
        case .bool(let b): return Node(b ? "true" : "false", .implicit, .plain)
        case .int(let i): return Node(String(i), .implicit, .plain)
        case .double(let d): return Node("\(d)", .implicit, .plain)
        case .string(let s):
            // Quote whatever YAML would read back as another type (numbers, booleans, null, "9090:9090").
            return Node(s, .implicit, Self.safePlain(s) ? .plain : .doubleQuoted)
        case .array(let items): return Node(items.map { $0.yamlNode() })
        case .object(let pairs): return Node(pairs.map { (Node($0.key), $0.value.yamlNode()) })
        }
    }
}
