import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// What the terminal on stdout (or stderr) can take: colour only on a tty, never with `NO_COLOR`
/// (any value, see no-color.org) or `TERM=dumb`; redraws only on a tty.
public struct TerminalStyle: Sendable, Hashable {
    public var isTTY: Bool
    public var color: Bool

    public init(isTTY: Bool, color: Bool) {
        self.isTTY = isTTY
        self.color = color && isTTY
    }

    /// Plain text: no colour, no redraws (files, pipes, tests).
    public static let plain = TerminalStyle(isTTY: false, color: false)

    /// The style for a file descriptor (stdout by default) in this environment.
    public static func detect(fileDescriptor: Int32 = STDOUT_FILENO, environment: [String: String] = ProcessInfo.processInfo.environment) -> TerminalStyle {
        let tty = isatty(fileDescriptor) == 1
        return TerminalStyle(isTTY: tty, color: wantsColor(environment: environment))
    }

    static func wantsColor(environment: [String: String]) -> Bool {
        if environment["NO_COLOR"] != nil { return false }
        if environment["TERM"] == "dumb" { return false }
        return true
    }

    public static var stdout: TerminalStyle { detect(fileDescriptor: STDOUT_FILENO) }
    public static var stderr: TerminalStyle { detect(fileDescriptor: STDERR_FILENO) }

    private func sgr(_ code: String, _ text: String) -> String {
        color ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text
    }

    public func bold(_ text: String) -> String { sgr("1", text) }
    public func dim(_ text: String) -> String { sgr("2", text) }
    public func red(_ text: String) -> String { sgr("31", text) }
    public func green(_ text: String) -> String { sgr("32", text) }
    public func yellow(_ text: String) -> String { sgr("33", text) }
}

/// Writes to stderr (logs, progress, errors): data goes to stdout, everything else here.
public enum StandardError {
    public static func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }

    public static func line(_ text: String) {
        write(text.hasSuffix("\n") ? text : text + "\n")
    }
}
