import CJansson
import CStackPilotShims
import Foundation

/// An order-preserving JSON value on jansson: parse, navigate, patch, compare, serialise.
///
/// A value type: copies share jansson's nodes until one of them changes, then the changed path is
/// copied (copy-on-write), so a patched document never alters another one. Object keys keep the
/// order they were parsed or inserted in, and serialisation is stable (2-space indentation in the
/// style of `JSON.stringify(x, null, 2)`, which is how Grafana exports dashboards).
public struct JSONDocument: Sendable {
    var node: JSONNode

    init(node: JSONNode) { self.node = node }

    /// Kinds of JSON values. Integers and reals are kept apart as jansson keeps them (`1` vs `1.5`).
    public enum Kind: String, Sendable, Hashable {
        case object, array, string, integer, real, bool, null
    }

    public var kind: Kind { kindOf(node.raw) }
}

/// Owns one reference to a jansson value and drops it in `deinit`.
///
/// @unchecked Sendable: jansson's reference counts are atomic (built with `__atomic` builtins), and
/// a node is only mutated while `JSONDocument` holds the sole reference to it (its box is uniquely
/// referenced and the node's own count is 1); shared nodes are only read, which jansson allows
/// from any thread.
final class JSONNode: @unchecked Sendable {
    let raw: UnsafeMutablePointer<json_t>

    /// Takes over a new reference (as returned by jansson's constructors).
    init(owning raw: UnsafeMutablePointer<json_t>) { self.raw = raw }

    /// Adds a reference to a borrowed value (e.g. a child of another node).
    init(retaining raw: UnsafeMutablePointer<json_t>) {
        sp_json_incref(raw)
        self.raw = raw
    }

    deinit { sp_json_decref(raw) }
}

func kindOf(_ raw: UnsafePointer<json_t>) -> JSONDocument.Kind {
    switch sp_json_typeof(raw) {
    case JSON_OBJECT: .object
    case JSON_ARRAY: .array
    case JSON_STRING: .string
    case JSON_INTEGER: .integer
    case JSON_REAL: .real
    case JSON_TRUE, JSON_FALSE: .bool
    default: .null
    }
}

func allocationFailed() -> Never { fatalError("jansson could not allocate memory") }

// MARK: - Parsing

extension JSONDocument {
    /// Why a text is not JSON, and where.
    public struct ParseError: Error, Sendable, CustomStringConvertible {
        /// 1-based line of the problem (0 when jansson could not tell).
        public var line: Int
        /// 1-based column, counted in characters.
        public var column: Int
        /// Byte offset from the start.
        public var position: Int
        /// jansson's explanation, e.g. `'}' expected near end of file`.
        public var message: String
        /// Where the text came from (a file name), when the caller said.
        public var source: String?

        public var description: String {
            "\(source ?? "<json>"):\(line):\(column): \(message)"
        }
    }

    /// Parses JSON text (any value at the top level, not only objects and arrays).
    public init(parsing data: Data, source: String? = nil) throws(ParseError) {
        var error = json_error_t()
        let flags = Int(JSON_DECODE_ANY) | Int(JSON_ALLOW_NUL)
        let raw: UnsafeMutablePointer<json_t>? = data.withUnsafeBytes { bytes in
            var empty: CChar = 0
            if let base = bytes.baseAddress, bytes.count > 0 {
                return json_loadb(base.assumingMemoryBound(to: CChar.self), bytes.count, flags, &error)
            }
            return json_loadb(&empty, 0, flags, &error)
        }
        guard let raw else {
            let message = withUnsafeBytes(of: error.text) { buffer in
                String(decoding: buffer.prefix { $0 != 0 }, as: UTF8.self)
            }
            throw ParseError(
                line: max(0, Int(error.line)), column: max(0, Int(error.column)), position: max(0, Int(error.position)),
                message: message, source: source)
        }
        self.init(node: JSONNode(owning: raw))
    }

    public init(parsing text: String, source: String? = nil) throws(ParseError) {
        try self.init(parsing: Data(text.utf8), source: source)
    }

    /// Reads and parses a file; a read failure is reported as a `ParseError` at line 0 naming the file.
    public init(contentsOf url: URL) throws(ParseError) {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw ParseError(
                line: 0, column: 0, position: 0, message: "cannot read the file: \(error.localizedDescription)",
                source: url.path)
        }
        try self.init(parsing: data, source: url.path)
    }
}

// MARK: - Building

extension JSONDocument {
    public static var null: JSONDocument { JSONDocument(node: JSONNode(owning: json_null())) }

    public static var emptyObject: JSONDocument {
        guard let raw = json_object() else { allocationFailed() }
        return JSONDocument(node: JSONNode(owning: raw))
    }

    public static var emptyArray: JSONDocument {
        guard let raw = json_array() else { allocationFailed() }
        return JSONDocument(node: JSONNode(owning: raw))
    }

    public init(_ value: String) {
        let raw = value.utf8CString.withUnsafeBufferPointer { buffer in
            // A Swift string is valid UTF-8; its length excludes the terminating NUL.
            json_stringn_nocheck(buffer.baseAddress, buffer.count - 1)
        }
        guard let raw else { allocationFailed() }
        self.init(node: JSONNode(owning: raw))
    }

    public init(_ value: Int) {
        guard let raw = json_integer(json_int_t(value)) else { allocationFailed() }
        self.init(node: JSONNode(owning: raw))
    }

    /// A real number; NaN and infinities have no JSON form and become `null`.
    public init(_ value: Double) {
        guard value.isFinite else {
            self = .null
            return
        }
        guard let raw = json_real(value) else { allocationFailed() }
        self.init(node: JSONNode(owning: raw))
    }

    public init(_ value: Bool) {
        self.init(node: JSONNode(owning: value ? json_true() : json_false()))
    }

    /// An object with the members in the given order (a later duplicate key replaces the earlier value in place).
    public init(object members: [(key: String, value: JSONDocument)]) {
        self = .emptyObject
        for member in members {
            setMember(node.raw, member.key, member.value.node.raw)
        }
    }

    public init(array elements: [JSONDocument]) {
        self = .emptyArray
        for element in elements where json_array_append(node.raw, element.node.raw) != 0 {
            allocationFailed()
        }
    }
}

extension JSONDocument: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByNilLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    public init(stringLiteral value: String) { self.init(value) }
    public init(integerLiteral value: Int) { self.init(value) }
    public init(floatLiteral value: Double) { self.init(value) }
    public init(booleanLiteral value: Bool) { self.init(value) }
    public init(nilLiteral: ()) { self = .null }
    public init(arrayLiteral elements: JSONDocument...) { self.init(array: elements) }
    /// Keeps the order written in the literal.
    public init(dictionaryLiteral elements: (String, JSONDocument)...) {
        self.init(object: elements.map { (key: $0.0, value: $0.1) })
    }
}

/// Sets (or replaces in place) `object[key]`, adding a reference to `value`.
func setMember(_ object: UnsafeMutablePointer<json_t>, _ key: String, _ value: UnsafeMutablePointer<json_t>) {
    sp_json_incref(value)
    let rc = key.utf8CString.withUnsafeBufferPointer { buffer in
        json_object_setn_new_nocheck(object, buffer.baseAddress, buffer.count - 1, value)
    }
    if rc != 0 { allocationFailed() }
}

// MARK: - Reading

extension JSONDocument {
    /// The member `key` of an object; nil when this is not an object or has no such key.
    public subscript(key: String) -> JSONDocument? {
        guard kind == .object, let child = objectMember(node.raw, key) else { return nil }
        return JSONDocument(node: JSONNode(retaining: child))
    }

    /// The element at `index` of an array; nil when this is not an array or the index is out of range.
    public subscript(index: Int) -> JSONDocument? {
        guard kind == .array, index >= 0, index < json_array_size(node.raw),
            let child = json_array_get(node.raw, index)
        else { return nil }
        return JSONDocument(node: JSONNode(retaining: child))
    }

    /// The value at a path, e.g. `doc[path: ["panels", 0, "title"]]`; nil when any step is missing.
    public subscript(path path: JSONPath) -> JSONDocument? {
        var current: JSONDocument? = self
        for component in path {
            switch component {
            case .key(let key): current = current?[key]
            case .index(let index): current = current?[index]
            }
        }
        return current
    }

    public var isNull: Bool { kind == .null }

    public var string: String? {
        guard kind == .string, let value = json_string_value(node.raw) else { return nil }
        let length = json_string_length(node.raw)
        return value.withMemoryRebound(to: UInt8.self, capacity: length) {
            String(decoding: UnsafeBufferPointer(start: $0, count: length), as: UTF8.self)
        }
    }

    /// An integer, or a real with an integral value that fits.
    public var int: Int? {
        switch kind {
        case .integer: return Int(json_integer_value(node.raw))
        case .real:
            let value = json_real_value(node.raw)
            return value.rounded() == value ? Int(exactly: value) : nil
        default: return nil
        }
    }

    /// Any number, as a `Double`.
    public var double: Double? {
        switch kind {
        case .integer: Double(json_integer_value(node.raw))
        case .real: json_real_value(node.raw)
        default: nil
        }
    }

    public var bool: Bool? {
        kind == .bool ? sp_json_typeof(node.raw) == JSON_TRUE : nil
    }

    /// Members of an object or elements of an array; 0 for anything else.
    public var count: Int {
        switch kind {
        case .object: json_object_size(node.raw)
        case .array: json_array_size(node.raw)
        default: 0
        }
    }

    /// Keys of an object in document order; empty for anything else.
    public var keys: [String] { objectMembers(node.raw).map(\.key) }

    /// Members of an object in document order; nil when this is not an object.
    public var members: [(key: String, value: JSONDocument)]? {
        guard kind == .object else { return nil }
        return objectMembers(node.raw).map { (key: $0.key, value: JSONDocument(node: JSONNode(retaining: $0.value))) }
    }

    /// Elements of an array; nil when this is not an array.
    public var elements: [JSONDocument]? {
        guard kind == .array else { return nil }
        return (0..<json_array_size(node.raw)).compactMap { json_array_get(node.raw, $0) }
            .map { JSONDocument(node: JSONNode(retaining: $0)) }
    }
}

func objectMember(_ object: UnsafeMutablePointer<json_t>, _ key: String) -> UnsafeMutablePointer<json_t>? {
    key.utf8CString.withUnsafeBufferPointer { json_object_getn(object, $0.baseAddress, $0.count - 1) }
}

/// Members in document order, values borrowed.
func objectMembers(_ object: UnsafeMutablePointer<json_t>) -> [(key: String, value: UnsafeMutablePointer<json_t>)] {
    guard sp_json_typeof(object) == JSON_OBJECT else { return [] }
    var result: [(key: String, value: UnsafeMutablePointer<json_t>)] = []
    result.reserveCapacity(json_object_size(object))
    var iterator = json_object_iter(object)
    while let current = iterator {
        if let keyPointer = json_object_iter_key(current), let value = json_object_iter_value(current) {
            let length = json_object_iter_key_len(current)
            let key = keyPointer.withMemoryRebound(to: UInt8.self, capacity: length) {
                String(decoding: UnsafeBufferPointer(start: $0, count: length), as: UTF8.self)
            }
            result.append((key: key, value: value))
        }
        iterator = json_object_iter_next(object, current)
    }
    return result
}
