import Yams

/// A YAML node that keeps where it came from. Compose files are parsed into this tree (through Yams'
/// `Node` API, which carries marks) so every diagnostic can name file, line and column.
struct YNode: Sendable {
    indirect enum Value: Sendable {
        /// A scalar; `plain` is false for quoted and block scalars (a quoted "null" is a string).
        case scalar(String, plain: Bool)
        case mapping([(key: YNode, value: YNode)])
        case sequence([YNode])
    }

    var value: Value
    var location: SourceLocation

    init(_ value: Value, _ location: SourceLocation) {
        self.value = value
        self.location = location
    }

    var isNull: Bool {
        if case .scalar(let s, let plain) = value, plain {
            return s.isEmpty || s == "~" || s == "null" || s == "Null" || s == "NULL"
        }
        return false
    }

    var scalar: String? {
        if case .scalar(let s, _) = value, !isNull { return s }
        return nil
    }

    var mapping: [(key: YNode, value: YNode)]? {
        if case .mapping(let m) = value { return m }
        return nil
    }

    var sequence: [YNode]? {
        if case .sequence(let s) = value { return s }
        return nil
    }

    /// The first value for a key (keys are scalars in compose files).
    subscript(key: String) -> YNode? {
        mapping?.first(where: { $0.key.scalar == key })?.value
    }

    var kindName: String {
        if isNull { return "null" }
        switch value {
        case .scalar: return "a scalar"
        case .mapping: return "a mapping"
        case .sequence: return "a sequence"
        }
    }
}

enum YAMLTree {
    /// Parses one YAML document into a located tree. A YAML syntax error becomes a diagnostic.
    static func parse(_ text: String, file: String) throws(ComposeError) -> YNode? {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw .invalid([diagnostic(from: error, file: file)])
        } catch {
            throw .invalid([ComposeDiagnostic(location: SourceLocation(file: file, line: 1, column: 1), path: "",
                                              message: "not valid YAML: \(error)")])
        }
        guard let root else { return nil }
        return convert(root, file: file)
    }

    static func diagnostic(from error: YamlError, file: String) -> ComposeDiagnostic {
        func at(_ mark: Mark, _ text: String) -> ComposeDiagnostic {
            ComposeDiagnostic(location: SourceLocation(file: file, line: mark.line, column: mark.column), path: "",
                              message: "not valid YAML: \(text)")
        }
        switch error {
        case .scanner(let context, let problem, let mark, _),
             .parser(let context, let problem, let mark, _),
             .composer(let context, let problem, let mark, _):
            let detail = context.map { "\($0.text) (line \($0.mark.line)), " } ?? ""
            return at(mark, detail + problem)
        case .duplicatedKeysInMapping(let duplicates, let context):
            return at(context.mark, "duplicate key(s) \(duplicates.joined(separator: ", ")) in a mapping")
        default:
            return ComposeDiagnostic(location: SourceLocation(file: file, line: 1, column: 1), path: "",
                                     message: "not valid YAML: \(error)")
        }
    }

    static func convert(_ node: Node, file: String) -> YNode {
        func loc(_ mark: Mark?) -> SourceLocation {
            SourceLocation(file: file, line: mark?.line ?? 1, column: mark?.column ?? 1)
        }
        switch node {
        case .scalar(let s):
            return YNode(.scalar(s.string, plain: s.style == .plain || s.style == .any), loc(s.mark))
        case .sequence(let seq):
            return YNode(.sequence(seq.map { convert($0, file: file) }), loc(seq.mark))
        case .mapping(let map):
            var pairs: [(key: YNode, value: YNode)] = []
            var merged: [(key: YNode, value: YNode)] = []
            for (k, v) in map {
                let key = convert(k, file: file)
                let value = convert(v, file: file)
                if key.scalar == "<<", case .scalar(_, true) = key.value {
                    // YAML merge key: explicit keys win over merged ones, earlier merged maps over later.
                    let sources = value.sequence ?? [value]
                    for source in sources {
                        for pair in source.mapping ?? [] where !merged.contains(where: { $0.key.scalar == pair.key.scalar }) {
                            merged.append(pair)
                        }
                    }
                } else {
                    pairs.append((key, value))
                }
            }
            for pair in merged where !pairs.contains(where: { $0.key.scalar == pair.key.scalar }) {
                pairs.append(pair)
            }
            return YNode(.mapping(pairs), loc(map.mark))
        case .alias(let alias):
            return YNode(.scalar("", plain: true), loc(alias.mark))
        }
    }
}
