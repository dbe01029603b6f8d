import CJansson
import CStackPilotShims
import Foundation

/// One step of a path into a document: an object key or an array index.
public enum JSONPathComponent: Hashable, Sendable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral,
    CustomStringConvertible
{
    case key(String)
    case index(Int)

    public init(stringLiteral value: String) { self = .key(value) }
    public init(integerLiteral value: Int) { self = .index(value) }

    public var description: String {
        switch self {
        case .key(let key): key
        case .index(let index): "[\(index)]"
        }
    }
}

public typealias JSONPath = [JSONPathComponent]

extension JSONDocument {
    /// Why a patch could not be applied at a path.
    public enum PathError: Error, Sendable, Equatable, CustomStringConvertible {
        /// An object has no member at this step (only for steps that must exist).
        case notFound(path: String)
        /// The step expects an object (key) or an array (index) and found another kind.
        case typeMismatch(path: String, expected: Kind, found: Kind)
        /// An array index outside `0...count` (`count` only where appending makes sense).
        case indexOutOfRange(path: String, index: Int, count: Int)
        /// The empty path names the document itself, which cannot be removed or inserted into.
        case emptyPath

        public var description: String {
            switch self {
            case .notFound(let path): "nothing at \(path)"
            case .typeMismatch(let path, let expected, let found): "\(path) is \(article(found)), not \(article(expected))"
            case .indexOutOfRange(let path, let index, let count): "index \(index) is out of range at \(path) (\(count) elements)"
            case .emptyPath: "the empty path names the whole document"
            }
        }
    }

    /// Replaces or adds the value at `path`. Missing objects along the way are created for key steps;
    /// an index equal to the array's count appends. An existing key keeps its place in the order.
    public mutating func set(_ value: JSONDocument, at path: JSONPath) throws(PathError) {
        guard let last = path.last else {
            self = value
            return
        }
        let parent = try uniqueParent(of: path, creatingObjects: true)
        switch last {
        case .key(let key):
            try expect(parent, .object, path)
            setMember(parent, key, value.node.raw)
        case .index(let index):
            try expect(parent, .array, path)
            let count = json_array_size(parent)
            guard index >= 0, index <= count else { throw .indexOutOfRange(path: render(path), index: index, count: count) }
            let rc = index == count ? json_array_append(parent, value.node.raw) : json_array_set(parent, index, value.node.raw)
            if rc != 0 { allocationFailed() }
        }
    }

    /// Inserts into an array at an index (shifting later elements), or adds an object member
    /// (replacing it in place when the key exists).
    public mutating func insert(_ value: JSONDocument, at path: JSONPath) throws(PathError) {
        guard let last = path.last else { throw .emptyPath }
        guard case .index(let index) = last else {
            try set(value, at: path)
            return
        }
        let parent = try uniqueParent(of: path, creatingObjects: false)
        try expect(parent, .array, path)
        let count = json_array_size(parent)
        guard index >= 0, index <= count else { throw .indexOutOfRange(path: render(path), index: index, count: count) }
        if json_array_insert(parent, index, value.node.raw) != 0 { allocationFailed() }
    }

    /// Appends to the array at `path`.
    public mutating func append(_ value: JSONDocument, to path: JSONPath) throws(PathError) {
        let count = self[path: path]?.kind == .array ? self[path: path]!.count : 0
        guard let target = self[path: path] else { throw .notFound(path: render(path)) }
        guard target.kind == .array else { throw .typeMismatch(path: render(path), expected: .array, found: target.kind) }
        try insert(value, at: path + [.index(count)])
    }

    /// Removes the value at `path` and returns it; nil (and no change) when there is nothing there.
    @discardableResult
    public mutating func remove(at path: JSONPath) throws(PathError) -> JSONDocument? {
        guard let last = path.last else { throw .emptyPath }
        guard self[path: path] != nil else { return nil }
        let parent = try uniqueParent(of: path, creatingObjects: false)
        switch last {
        case .key(let key):
            guard let child = objectMember(parent, key) else { return nil }
            let removed = JSONDocument(node: JSONNode(retaining: child))
            _ = key.utf8CString.withUnsafeBufferPointer { json_object_deln(parent, $0.baseAddress, $0.count - 1) }
            return removed
        case .index(let index):
            guard let child = json_array_get(parent, index) else { return nil }
            let removed = JSONDocument(node: JSONNode(retaining: child))
            _ = json_array_remove(parent, index)
            return removed
        }
    }

    /// A copy with `value` set at `path`.
    public func setting(_ value: JSONDocument, at path: JSONPath) throws(PathError) -> JSONDocument {
        var copy = self
        try copy.set(value, at: path)
        return copy
    }

    /// A copy without the value at `path`.
    public func removing(at path: JSONPath) throws(PathError) -> JSONDocument {
        var copy = self
        try copy.remove(at: path)
        return copy
    }

    /// A copy with every member named in `keys` removed, at any depth.
    public func removingKeys(_ keys: Set<String>) -> JSONDocument {
        guard !keys.isEmpty else { return self }
        var copy = self
        copy.makeRootUnique()
        stripKeys(copy.node.raw, keys)
        return copy
    }

    // MARK: copy-on-write

    /// Ensures this document is the only owner of its root node.
    mutating func makeRootUnique() {
        if !isKnownUniquelyReferenced(&node) || sp_json_refcount(node.raw) > 1 {
            guard let copy = json_deep_copy(node.raw) else { allocationFailed() }
            node = JSONNode(owning: copy)
        }
    }

    /// Walks to the container that holds the last step of `path`, copying every shared node on the
    /// way so that the change cannot be seen through any other document.
    private mutating func uniqueParent(of path: JSONPath, creatingObjects: Bool) throws(PathError) -> UnsafeMutablePointer<json_t> {
        makeRootUnique()
        var current = node.raw
        for (offset, component) in path.dropLast().enumerated() {
            let here = Array(path.prefix(offset + 1))
            switch component {
            case .key(let key):
                try expect(current, .object, here)
                var child = objectMember(current, key)
                if child == nil, creatingObjects, case .key = path[offset + 1] {
                    guard let fresh = json_object() else { allocationFailed() }
                    setMember(current, key, fresh)
                    sp_json_decref(fresh)
                    child = fresh
                }
                guard var next = child else { throw .notFound(path: render(here)) }
                if sp_json_refcount(next) > 1 {
                    guard let copy = json_deep_copy(next) else { allocationFailed() }
                    setMember(current, key, copy)
                    sp_json_decref(copy)
                    next = copy
                }
                current = next
            case .index(let index):
                try expect(current, .array, here)
                let count = json_array_size(current)
                guard index >= 0, index < count, var next = json_array_get(current, index) else {
                    throw .indexOutOfRange(path: render(here), index: index, count: count)
                }
                if sp_json_refcount(next) > 1 {
                    guard let copy = json_deep_copy(next) else { allocationFailed() }
                    if json_array_set_new(current, index, copy) != 0 { allocationFailed() }
                    next = copy
                }
                current = next
            }
        }
        return current
    }

    private func expect(_ raw: UnsafeMutablePointer<json_t>, _ expected: Kind, _ path: JSONPath) throws(PathError) {
        let found = kindOf(raw)
        guard found == expected else {
            throw .typeMismatch(path: render(Array(path.dropLast())), expected: expected, found: found)
        }
    }
}

/// Removes the named keys everywhere below a uniquely owned node, copying shared children first.
private func stripKeys(_ raw: UnsafeMutablePointer<json_t>, _ keys: Set<String>) {
    switch sp_json_typeof(raw) {
    case JSON_OBJECT:
        for (key, value) in objectMembers(raw) {
            if keys.contains(key) {
                _ = key.utf8CString.withUnsafeBufferPointer { json_object_deln(raw, $0.baseAddress, $0.count - 1) }
                continue
            }
            var child = value
            if sp_json_refcount(child) > 1 {
                guard let copy = json_deep_copy(child) else { allocationFailed() }
                setMember(raw, key, copy)
                sp_json_decref(copy)
                child = copy
            }
            stripKeys(child, keys)
        }
    case JSON_ARRAY:
        for index in 0..<json_array_size(raw) {
            guard var child = json_array_get(raw, index) else { continue }
            if sp_json_refcount(child) > 1 {
                guard let copy = json_deep_copy(child) else { allocationFailed() }
                if json_array_set_new(raw, index, copy) != 0 { allocationFailed() }
                child = copy
            }
            stripKeys(child, keys)
        }
    default:
        break
    }
}

func render(_ path: JSONPath) -> String {
    if path.isEmpty { return "$" }
    var text = "$"
    for component in path {
        switch component {
        case .key(let key): text += "." + key
        case .index(let index): text += "[\(index)]"
        }
    }
    return text
}

private func article(_ kind: JSONDocument.Kind) -> String {
    switch kind {
    case .object, .array, .integer: "an \(kind.rawValue)"
    case .null: "null"
    default: "a \(kind.rawValue)"
    }
}

// MARK: - Comparing

extension JSONDocument: Equatable {
    /// Structural equality: objects compare as sets of members (order ignored), arrays element by
    /// element, numbers by value (`1` equals `1.0`).
    public static func == (lhs: JSONDocument, rhs: JSONDocument) -> Bool {
        lhs.isEqual(to: rhs)
    }

    /// Structural equality that skips members named in `ignoringKeys` at any depth (e.g. `id`,
    /// `version`, `uid` when comparing a dashboard with Grafana's copy).
    public func isEqual(to other: JSONDocument, ignoringKeys: Set<String> = []) -> Bool {
        equal(node.raw, other.node.raw, ignoringKeys)
    }
}

private func equal(_ a: UnsafeMutablePointer<json_t>, _ b: UnsafeMutablePointer<json_t>, _ ignored: Set<String>) -> Bool {
    if a == b { return true }
    let ka = kindOf(a), kb = kindOf(b)
    switch (ka, kb) {
    case (.integer, .integer):
        return json_integer_value(a) == json_integer_value(b)
    case (.integer, .real), (.real, .integer), (.real, .real):
        return json_number_value(a) == json_number_value(b)
    case (.string, .string):
        let la = json_string_length(a), lb = json_string_length(b)
        guard la == lb else { return false }
        guard let sa = json_string_value(a), let sb = json_string_value(b) else { return false }
        return memcmp(sa, sb, la) == 0
    case (.bool, .bool):
        return sp_json_typeof(a) == sp_json_typeof(b)
    case (.null, .null):
        return true
    case (.array, .array):
        let count = json_array_size(a)
        guard count == json_array_size(b) else { return false }
        for index in 0..<count {
            guard let ea = json_array_get(a, index), let eb = json_array_get(b, index), equal(ea, eb, ignored) else { return false }
        }
        return true
    case (.object, .object):
        let ma = objectMembers(a).filter { !ignored.contains($0.key) }
        let mb = objectMembers(b).filter { !ignored.contains($0.key) }
        guard ma.count == mb.count else { return false }
        for (key, value) in ma {
            guard let other = objectMember(b, key), !ignored.contains(key), equal(value, other, ignored) else { return false }
        }
        return true
    default:
        return false
    }
}
