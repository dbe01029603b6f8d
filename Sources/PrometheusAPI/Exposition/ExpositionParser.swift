/// A parse error in Prometheus text exposition, with the 1-based line and column it was found at.
public struct ExpositionError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Reason: Sendable, Equatable {
        case invalidMetricName
        case invalidLabelName
        case expected(String)
        case invalidEscape(Character)
        case unterminatedLabelValue
        case duplicateLabel(String)
        case invalidValue(String)
        case invalidTimestamp(String)
        case unexpectedText(String)
        case carriageReturn
        case invalidUTF8
        case unknownType(String)
        case duplicateType(metric: String)
        case duplicateHelp(metric: String)
        case typeAfterSamples(metric: String)
        /// Lines of one family must be one group; `firstLine` is where the family started.
        case familyNotContiguous(metric: String, firstLine: Int)
        case duplicateSeries(String)
        case missingLabel(metric: String, label: String)
    }

    public var line: Int
    public var column: Int
    public var reason: Reason

    public init(line: Int, column: Int, reason: Reason) {
        self.line = line
        self.column = column
        self.reason = reason
    }

    public var description: String {
        let what: String =
            switch reason {
            case .invalidMetricName: "invalid metric name (expected [a-zA-Z_:][a-zA-Z0-9_:]*)"
            case .invalidLabelName: "invalid label name (expected [a-zA-Z_][a-zA-Z0-9_]*)"
            case .expected(let token): "expected \(token)"
            case .invalidEscape(let char): "invalid escape sequence \\\(char)"
            case .unterminatedLabelValue: "label value is not terminated by '\"'"
            case .duplicateLabel(let name): "label \(name) appears twice"
            case .invalidValue(let text): "invalid sample value \"\(text)\""
            case .invalidTimestamp(let text): "invalid timestamp \"\(text)\" (expected integer milliseconds)"
            case .unexpectedText(let text): "unexpected text \"\(text)\" after the sample"
            case .carriageReturn: "carriage return in line (the format requires \\n line endings)"
            case .invalidUTF8: "text is not valid UTF-8"
            case .unknownType(let type): "unknown metric type \"\(type)\" (expected counter, gauge, histogram, summary or untyped)"
            case .duplicateType(let metric): "second TYPE line for \(metric)"
            case .duplicateHelp(let metric): "second HELP line for \(metric)"
            case .typeAfterSamples(let metric): "TYPE line for \(metric) after its samples"
            case .familyNotContiguous(let metric, let first):
                "lines of \(metric) are not one group (it started at line \(first), other metrics came in between)"
            case .duplicateSeries(let series): "duplicate sample \(series)"
            case .missingLabel(let metric, let label): "\(metric) sample without the \"\(label)\" label"
            }
        return "line \(line), column \(column): \(what)"
    }
}

/// Parser for the Prometheus text exposition format, version 0.0.4
/// (https://prometheus.io/docs/instrumenting/exposition_formats/).
///
/// Accepts `# HELP` and `# TYPE` lines (other comments are ignored), samples with optional
/// labels (escapes `\\`, `\"`, `\n`; a trailing comma is allowed), float values including `NaN`,
/// `+Inf`, `-Inf`, and optional integer millisecond timestamps. Samples are grouped into
/// families; `_bucket`/`_sum`/`_count` join their histogram family and `_sum`/`_count` their
/// summary family. The first problem stops the parse with an ``ExpositionError`` naming its line
/// and column.
public struct ExpositionParser: Sendable {
    public init() {}

    public func parse(_ text: String) throws(ExpositionError) -> [MetricFamily] {
        try parse(bytes: Array(text.utf8))
    }

    public func parse(bytes: [UInt8]) throws(ExpositionError) -> [MetricFamily] {
        var state = State()
        var lineStart = 0
        var lineNumber = 1
        while lineStart < bytes.count {
            var lineEnd = lineStart
            while lineEnd < bytes.count, bytes[lineEnd] != UInt8(ascii: "\n") { lineEnd += 1 }
            var cursor = Cursor(bytes: bytes, start: lineStart, end: lineEnd, line: lineNumber)
            try parseLine(&cursor, state: &state)
            lineStart = lineEnd + 1
            lineNumber += 1
        }
        return state.families
    }

    /// Parse state: finished families and the family lines currently belong to.
    private struct State {
        var families: [MetricFamily] = []
        var indexByName: [String: Int] = [:]
        var current: Int? = nil
        var typed: Set<String> = []
        var seriesKeys: Set<String> = []

        /// The family for a HELP/TYPE line about `name`, creating it when new.
        mutating func familyForMetadata(_ name: String, at cursor: Cursor) throws(ExpositionError) -> Int {
            if let index = indexByName[name] {
                if index != current {
                    throw cursor.error(.familyNotContiguous(metric: name, firstLine: families[index].line), atStart: true)
                }
                return index
            }
            return open(name, type: .untyped, line: cursor.line)
        }

        /// The family a sample called `name` belongs to.
        mutating func familyForSample(_ name: String, at cursor: Cursor) throws(ExpositionError) -> Int {
            if let current {
                let family = families[current]
                if name == family.name { return current }
                if family.type == .histogram, [family.name + "_bucket", family.name + "_sum", family.name + "_count"].contains(name) {
                    return current
                }
                if family.type == .summary, [family.name + "_sum", family.name + "_count"].contains(name) {
                    return current
                }
            }
            if let index = indexByName[name] {
                throw cursor.error(.familyNotContiguous(metric: name, firstLine: families[index].line), atStart: true)
            }
            return open(name, type: .untyped, line: cursor.line)
        }

        private mutating func open(_ name: String, type: MetricType, line: Int) -> Int {
            families.append(MetricFamily(name: name, type: type, line: line))
            let index = families.count - 1
            indexByName[name] = index
            current = index
            return index
        }
    }

    private func parseLine(_ cursor: inout Cursor, state: inout State) throws(ExpositionError) {
        if let cr = cursor.firstIndex(of: UInt8(ascii: "\r")) {
            throw ExpositionError(line: cursor.line, column: cr - cursor.lineStart + 1, reason: .carriageReturn)
        }
        cursor.skipBlanks()
        if cursor.atEnd { return }
        if cursor.peek == UInt8(ascii: "#") {
            try parseComment(&cursor, state: &state)
        } else {
            try parseSample(&cursor, state: &state)
        }
    }

    private func parseComment(_ cursor: inout Cursor, state: inout State) throws(ExpositionError) {
        cursor.advance()
        cursor.skipBlanks()
        let keyword = cursor.readToken()
        guard keyword == "HELP" || keyword == "TYPE" else { return }  // any other comment
        guard cursor.skipBlanks() > 0 else { throw cursor.error(.expected("a metric name after \(keyword)")) }
        let nameColumn = cursor.position
        guard let name = cursor.readMetricName() else { throw cursor.error(.invalidMetricName) }
        let index = try state.familyForMetadata(name, at: cursor.at(nameColumn))
        if keyword == "HELP" {
            if cursor.atEnd {
                guard state.families[index].help == nil else { throw cursor.at(nameColumn).error(.duplicateHelp(metric: name)) }
                state.families[index].help = ""
                return
            }
            guard cursor.skipBlanks() > 0 else { throw cursor.error(.expected("a blank after the metric name")) }
            guard state.families[index].help == nil else { throw cursor.at(nameColumn).error(.duplicateHelp(metric: name)) }
            state.families[index].help = try cursor.readHelpText()
        } else {
            guard cursor.skipBlanks() > 0 else { throw cursor.error(.expected("a metric type after the metric name")) }
            let typeColumn = cursor.position
            let typeName = cursor.readToken()
            guard let type = MetricType(rawValue: typeName) else { throw cursor.at(typeColumn).error(.unknownType(typeName)) }
            cursor.skipBlanks()
            guard cursor.atEnd else { throw cursor.error(.unexpectedText(cursor.rest)) }
            guard !state.typed.contains(name) else { throw cursor.at(nameColumn).error(.duplicateType(metric: name)) }
            guard state.families[index].samples.isEmpty else { throw cursor.at(nameColumn).error(.typeAfterSamples(metric: name)) }
            state.typed.insert(name)
            state.families[index].type = type
        }
    }

    private func parseSample(_ cursor: inout Cursor, state: inout State) throws(ExpositionError) {
        let lineCursor = cursor
        guard let name = cursor.readMetricName() else { throw cursor.error(.invalidMetricName) }
        let blanksAfterName = cursor.skipBlanks()
        var labels: [Label] = []
        if cursor.peek == UInt8(ascii: "{") {
            cursor.advance()
            labels = try parseLabels(&cursor)
            cursor.skipBlanks()
        } else if blanksAfterName == 0, !cursor.atEnd {
            throw cursor.error(.expected("a blank before the value"))
        }
        guard !cursor.atEnd else { throw cursor.error(.expected("a value")) }
        let valueColumn = cursor.position
        let valueText = cursor.readToken()
        guard let value = parseExpositionFloat(valueText) else { throw cursor.at(valueColumn).error(.invalidValue(valueText)) }
        var timestamp: Int64? = nil
        if cursor.skipBlanks() > 0, !cursor.atEnd {
            let timestampColumn = cursor.position
            let timestampText = cursor.readToken()
            guard let parsed = Int64(timestampText) else { throw cursor.at(timestampColumn).error(.invalidTimestamp(timestampText)) }
            timestamp = parsed
            cursor.skipBlanks()
        }
        guard cursor.atEnd else { throw cursor.error(.unexpectedText(cursor.rest)) }

        let index = try state.familyForSample(name, at: lineCursor)
        let family = state.families[index]
        if family.type == .histogram, name == family.name + "_bucket", labels.first(where: { $0.name == "le" }) == nil {
            throw lineCursor.error(.missingLabel(metric: name, label: "le"))
        }
        if family.type == .summary, name == family.name, labels.first(where: { $0.name == "quantile" }) == nil {
            throw lineCursor.error(.missingLabel(metric: name, label: "quantile"))
        }
        let key = name + "{" + labels.sorted { $0.name < $1.name }.map(\.description).joined(separator: ",") + "}"
        guard state.seriesKeys.insert(key).inserted else { throw lineCursor.error(.duplicateSeries(key)) }
        state.families[index].samples.append(
            Sample(name: name, labels: labels, value: value, timestampMilliseconds: timestamp, line: cursor.line))
    }

    private func parseLabels(_ cursor: inout Cursor) throws(ExpositionError) -> [Label] {
        var labels: [Label] = []
        while true {
            cursor.skipBlanks()
            if cursor.peek == UInt8(ascii: "}") {
                cursor.advance()
                return labels
            }
            let nameColumn = cursor.position
            guard let name = cursor.readLabelName() else {
                throw cursor.error(cursor.atEnd ? .expected("'}'") : .invalidLabelName)
            }
            cursor.skipBlanks()
            guard cursor.peek == UInt8(ascii: "=") else { throw cursor.error(.expected("'=' after label \(name)")) }
            cursor.advance()
            cursor.skipBlanks()
            guard cursor.peek == UInt8(ascii: "\"") else { throw cursor.error(.expected("'\"' to open the value of label \(name)")) }
            cursor.advance()
            let value = try cursor.readLabelValue()
            if labels.contains(where: { $0.name == name }) { throw cursor.at(nameColumn).error(.duplicateLabel(name)) }
            labels.append(Label(name: name, value: value))
            cursor.skipBlanks()
            switch cursor.peek {
            case UInt8(ascii: ","): cursor.advance()
            case UInt8(ascii: "}"): continue
            default: throw cursor.error(.expected("',' or '}' after the value of label \(name)"))
            }
        }
    }
}

/// A position inside one line of the input.
private struct Cursor {
    let bytes: [UInt8]
    let lineStart: Int
    let end: Int
    let line: Int
    var index: Int

    init(bytes: [UInt8], start: Int, end: Int, line: Int) {
        self.bytes = bytes
        self.lineStart = start
        self.end = end
        self.line = line
        self.index = start
    }

    /// Offset inside the line (0-based).
    var position: Int { index - lineStart }
    var atEnd: Bool { index >= end }
    var peek: UInt8? { index < end ? bytes[index] : nil }
    var previous: UInt8? { index > lineStart ? bytes[index - 1] : nil }
    var rest: String { String(decoding: bytes[index..<end], as: UTF8.self) }

    mutating func advance() { index += 1 }

    func at(_ position: Int) -> Cursor {
        var copy = self
        copy.index = lineStart + position
        return copy
    }

    func error(_ reason: ExpositionError.Reason, atStart: Bool = false) -> ExpositionError {
        ExpositionError(line: line, column: (atStart ? 0 : position) + 1, reason: reason)
    }

    func firstIndex(of byte: UInt8) -> Int? {
        var i = lineStart
        while i < end {
            if bytes[i] == byte { return i }
            i += 1
        }
        return nil
    }

    @discardableResult
    mutating func skipBlanks() -> Int {
        let start = index
        while index < end, bytes[index] == UInt8(ascii: " ") || bytes[index] == UInt8(ascii: "\t") { index += 1 }
        return index - start
    }

    /// Everything up to the next blank.
    mutating func readToken() -> String {
        let start = index
        while index < end, bytes[index] != UInt8(ascii: " "), bytes[index] != UInt8(ascii: "\t") { index += 1 }
        return String(decoding: bytes[start..<index], as: UTF8.self)
    }

    mutating func readMetricName() -> String? {
        readName { $0 == UInt8(ascii: ":") }
    }

    mutating func readLabelName() -> String? {
        readName { _ in false }
    }

    private mutating func readName(extra: (UInt8) -> Bool) -> String? {
        func isLetter(_ b: UInt8) -> Bool {
            (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z")) || (b >= UInt8(ascii: "A") && b <= UInt8(ascii: "Z")) || b == UInt8(ascii: "_")
        }
        func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }
        guard let first = peek, isLetter(first) || extra(first) else { return nil }
        let start = index
        index += 1
        while let b = peek, isLetter(b) || isDigit(b) || extra(b) { index += 1 }
        return String(decoding: bytes[start..<index], as: UTF8.self)
    }

    /// A label value after its opening quote, through the closing quote.
    mutating func readLabelValue() throws(ExpositionError) -> String {
        var value: [UInt8] = []
        while index < end {
            let b = bytes[index]
            switch b {
            case UInt8(ascii: "\""):
                index += 1
                return try decode(value)
            case UInt8(ascii: "\\"):
                guard index + 1 < end else { throw error(.unterminatedLabelValue) }
                let next = bytes[index + 1]
                switch next {
                case UInt8(ascii: "\\"): value.append(UInt8(ascii: "\\"))
                case UInt8(ascii: "\""): value.append(UInt8(ascii: "\""))
                case UInt8(ascii: "n"): value.append(UInt8(ascii: "\n"))
                default: throw error(.invalidEscape(Character(Unicode.Scalar(next))))
                }
                index += 2
            default:
                value.append(b)
                index += 1
            }
        }
        throw error(.unterminatedLabelValue)
    }

    /// The rest of a HELP line, unescaping `\\` and `\n`.
    mutating func readHelpText() throws(ExpositionError) -> String {
        var text: [UInt8] = []
        while index < end {
            let b = bytes[index]
            if b == UInt8(ascii: "\\") {
                guard index + 1 < end else { throw error(.invalidEscape(" ")) }
                let next = bytes[index + 1]
                switch next {
                case UInt8(ascii: "\\"): text.append(UInt8(ascii: "\\"))
                case UInt8(ascii: "n"): text.append(UInt8(ascii: "\n"))
                default: throw error(.invalidEscape(Character(Unicode.Scalar(next))))
                }
                index += 2
            } else {
                text.append(b)
                index += 1
            }
        }
        return try decode(text)
    }

    private func decode(_ bytes: [UInt8]) throws(ExpositionError) -> String {
        guard let string = String(validating: bytes, as: UTF8.self) else { throw error(.invalidUTF8) }
        return string
    }
}
