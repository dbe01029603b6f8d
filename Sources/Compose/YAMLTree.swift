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

    /// The compose merge tags (`!reset`, `!override`); other tags are ignored, as compose does.
    enum MergeTag: String, Sendable {
        case reset = "!reset"
        case override = "!override"
    }

    var value: Value
    var location: SourceLocation
    var tag: MergeTag?

    init(_ value: Value, _ location: SourceLocation, tag: MergeTag? = nil) {
        self.value = value
        self.location = location
        self.tag = tag
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
    /// How many nodes aliases may add beyond the document's own size. Yams shares an anchored node
    /// between its aliases, but the located tree copies it at every use, so nested aliases (a
    /// "billion laughs" file of a few hundred bytes) would expand to billions of nodes. A document
    /// without aliases has fewer nodes than bytes, so the limit is the text's size plus this;
    /// compose-go bounds the same expansion (yaml.v3's alias ratio, its node-visit limit).
    static let aliasExpansionAllowance = 100_000

    /// Parses one YAML document into a located tree. A YAML syntax error becomes a diagnostic.
    static func parse(_ text: String, file: String) throws(ComposeError) -> YNode? {
        let root: Node?
        do {
            // The basic resolver: the tree keeps scalars as text (the normaliser types them), so the
            // default resolver's regular expressions, run on every key for Yams' duplicate check,
            // would only cost time (a third of the parse of a large file).
            root = try Yams.compose(yaml: text, Resolver.basic)
        } catch let error as YamlError {
            throw .invalid([diagnostic(from: error, file: file, text: text)])
        } catch {
            throw .invalid([
                ComposeDiagnostic(
                    location: SourceLocation(file: file, line: 1, column: 1), path: "",
                    message: "not valid YAML: \(error)")
            ])
        }
        guard let root else { return nil }
        var budget = text.utf8.count + aliasExpansionAllowance
        return try convert(root, file: file, budget: &budget)
    }

    static func diagnostic(from error: YamlError, file: String, text: String = "") -> ComposeDiagnostic {
        func at(_ mark: Mark, _ text: String) -> ComposeDiagnostic {
            ComposeDiagnostic(
                location: SourceLocation(file: file, line: mark.line, column: mark.column), path: "",
                message: "not valid YAML: \(text)")
        }
        switch error {
        case .scanner(let context, let problem, let mark, _),
            .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            if let tab = tabColumn(in: text, line: mark.line) {
                // libyaml says "found character that cannot start any token"; name the character.
                return ComposeDiagnostic(
                    location: SourceLocation(file: file, line: mark.line, column: tab), path: "",
                    message: "not valid YAML: a tab character in the indentation (YAML indents with spaces only)")
            }
            let detail = context.map { "\($0.text) (line \($0.mark.line)), " } ?? ""
            return at(mark, detail + problem)
        case .duplicatedKeysInMapping(let duplicates, let context):
            return at(context.mark, "duplicate key(s) \(duplicates.joined(separator: ", ")) in a mapping")
        default:
            return ComposeDiagnostic(
                location: SourceLocation(file: file, line: 1, column: 1), path: "",
                message: "not valid YAML: \(error)")
        }
    }

    /// The 1-based column of a tab in the indentation of `line` (the run of spaces, tabs and `-`
    /// sequence indicators that starts it), if any: the cause of libyaml's "found character that
    /// cannot start any token" and "found a tab character that violates indentation".
    static func tabColumn(in text: String, line: Int) -> Int? {
        guard line >= 1 else { return nil }
        var lines = text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).dropFirst(line - 1).makeIterator()
        guard let bytes = lines.next() else { return nil }
        for (offset, c) in bytes.enumerated() {
            if c == UInt8(ascii: "\t") { return offset + 1 }
            if c != UInt8(ascii: " ") && c != UInt8(ascii: "-") { return nil }
        }
        return nil
    }

    static func convert(_ node: Node, file: String, budget: inout Int) throws(ComposeError) -> YNode {
        func loc(_ mark: Mark?) -> SourceLocation {
            SourceLocation(file: file, line: mark?.line ?? 1, column: mark?.column ?? 1)
        }
        func tag(_ tag: Tag) -> YNode.MergeTag? { YNode.MergeTag(rawValue: tag.rawValue) }
        budget -= 1
        if budget < 0 {
            throw .invalid([
                ComposeDiagnostic(
                    location: loc(node.mark), path: "",
                    message:
                        "YAML aliases expand this document beyond \(aliasExpansionAllowance) extra nodes (nested anchors such as a \"billion laughs\" file); write the repeated parts out or nest fewer aliases"
                )
            ])
        }
        switch node {
        case .scalar(let s):
            return YNode(.scalar(s.string, plain: s.style == .plain || s.style == .any), loc(s.mark), tag: tag(s.tag))
        case .sequence(let seq):
            var items: [YNode] = []
            items.reserveCapacity(seq.count)
            for item in seq { items.append(try convert(item, file: file, budget: &budget)) }
            return YNode(.sequence(items), loc(seq.mark), tag: tag(seq.tag))
        case .mapping(let map):
            var pairs: [(key: YNode, value: YNode)] = []
            var merged: [(key: YNode, value: YNode)] = []
            for (k, v) in map {
                let key = try convert(k, file: file, budget: &budget)
                let value = try convert(v, file: file, budget: &budget)
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
            return YNode(.mapping(pairs), loc(map.mark), tag: tag(map.tag))
        case .alias(let alias):
            return YNode(.scalar("", plain: true), loc(alias.mark))
        }
    }
}
