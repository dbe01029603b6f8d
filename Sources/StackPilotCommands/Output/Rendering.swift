import Foundation
import Yams

/// A payload a command prints. Its JSON and YAML forms come from `Encodable`; its table form from
/// `table`. `OutputRenderer` switches over every `OutputFormat`, so a new format is a compile
/// error until it is handled here, and a new payload is a compile error until it conforms.
public protocol OutputRenderable: Encodable {
    var table: OutputTable { get }
}

/// The table form of a payload: rows under headers, or label/value pairs for a single object.
public enum OutputTable: Sendable, Hashable {
    /// `docker ps` style: headers in capitals, columns padded to the widest cell.
    case rows(headers: [String], rows: [[String]])
    /// `docker version` style: sections of `label: value` lines.
    case sections([Section])
    /// Another table with lines above it (what was asked of whom) and below it (a summary, the
    /// sampling window).
    indirect case framed(header: [String], body: OutputTable, footer: [String])
    /// Text laid out by the payload itself (doctor's report, with its markers), printed as is.
    case text(String)

    public struct Section: Sendable, Hashable {
        public var title: String?
        public var pairs: [Pair]
        public init(_ title: String? = nil, _ pairs: [Pair]) {
            self.title = title
            self.pairs = pairs
        }
    }

    public struct Pair: Sendable, Hashable {
        public var label: String
        public var value: String
        public init(_ label: String, _ value: String?) {
            self.label = label
            self.value = value ?? "-"
        }
    }
}

public enum OutputRenderer {
    /// The text to print on stdout for `value` in `format` (ends with a newline).
    public static func render(_ value: some OutputRenderable, format: OutputFormat, style: TerminalStyle = .plain) throws -> String {
        switch format {
        case .table:
            return renderTable(value.table, style: style)
        case .json:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            return String(decoding: try encoder.encode(value), as: UTF8.self) + "\n"
        case .yaml:
            let encoder = YAMLEncoder()
            encoder.options.sortKeys = true
            let text = try encoder.encode(value)
            return text.hasSuffix("\n") ? text : text + "\n"
        }
    }

    public static func renderTable(_ table: OutputTable, style: TerminalStyle = .plain) -> String {
        switch table {
        case .rows(let headers, let rows):
            let columnCount = max(headers.count, rows.map(\.count).max() ?? 0)
            var widths = [Int](repeating: 0, count: columnCount)
            for row in [headers] + rows {
                for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) }
            }
            func line(_ cells: [String], header: Bool) -> String {
                let padded = cells.enumerated().map { index, cell in
                    index == cells.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
                }
                let text = padded.joined(separator: "   ")
                return header ? style.bold(text) : text
            }
            var lines: [String] = []
            if !headers.isEmpty { lines.append(line(headers.map { $0.uppercased() }, header: true)) }
            lines += rows.map { line($0, header: false) }
            // Trailing whitespace trimmed by hand: a regular expression would load ICU for every table.
            return lines.map { line in
                var line = line
                while line.last?.isWhitespace == true { line.removeLast() }
                return line
            }.joined(separator: "\n") + "\n"
        case .sections(let sections):
            var lines: [String] = []
            for (index, section) in sections.enumerated() {
                if index > 0 { lines.append("") }
                let indent = section.title == nil ? "" : " "
                if let title = section.title { lines.append(style.bold(title + ":")) }
                let width = section.pairs.map(\.label.count).max() ?? 0
                for pair in section.pairs {
                    lines.append(indent + (pair.label + ":").padding(toLength: width + 1, withPad: " ", startingAt: 0) + " " + pair.value)
                }
            }
            return lines.joined(separator: "\n") + "\n"
        case .framed(let header, let body, let footer):
            return (header.map { $0 + "\n" } + [renderTable(body, style: style)] + footer.map { $0 + "\n" }).joined()
        case .text(let text):
            return text.hasSuffix("\n") || text.isEmpty ? text : text + "\n"
        }
    }
}
