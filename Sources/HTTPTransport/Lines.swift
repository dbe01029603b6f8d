import Foundation

/// Splits a sequence of body chunks into lines, whatever the chunk boundaries: a line split across
/// chunks comes out whole, several lines in one chunk come out one by one. Lines end at `\n`; a
/// trailing `\r` is dropped; a last line without `\n` is delivered when the body ends. Empty lines
/// are delivered too (NDJSON readers skip them). When the consuming task is cancelled, iteration
/// throws `CancellationError` rather than ending as if the body were complete.
public struct HTTPBodyLines<Base: AsyncSequence>: AsyncSequence where Base.Element == Data {
    public typealias Element = Data

    let base: Base
    let maxLineLength: Int

    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: Base.AsyncIterator
        let maxLineLength: Int
        /// Bytes received and not yet returned start at `start`; compacted now and then, so a
        /// chunk holding thousands of lines is not copied once per line.
        var pending = Data()
        var start = 0
        var ended = false

        public mutating func next() async throws -> Data? {
            while true {
                if let newline = pending[(pending.startIndex + start)...].firstIndex(of: UInt8(ascii: "\n")) {
                    var lineEnd = newline
                    if lineEnd > pending.startIndex + start, pending[lineEnd - 1] == UInt8(ascii: "\r") { lineEnd -= 1 }
                    let line = Data(pending[(pending.startIndex + start)..<lineEnd])
                    start = newline + 1 - pending.startIndex
                    return line
                }
                // No complete line left: drop what was consumed before reading more.
                if start > 0 {
                    pending = Data(pending[(pending.startIndex + start)...])
                    start = 0
                }
                if ended {
                    guard !pending.isEmpty else { return nil }
                    defer { pending = Data() }
                    return pending.last == UInt8(ascii: "\r") ? Data(pending.dropLast()) : pending
                }
                if pending.count > maxLineLength { throw HTTPBodyLineTooLong(limit: maxLineLength) }
                if let chunk = try await base.next() {
                    pending.append(chunk)
                } else {
                    // AsyncThrowingStream ends quietly when its consumer is cancelled; a half line
                    // must not pass for a whole one then.
                    try Task.checkCancellation()
                    ended = true
                }
            }
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: base.makeAsyncIterator(), maxLineLength: maxLineLength)
    }
}

/// A line grew past the limit without a newline (a protection against unbounded buffering).
public struct HTTPBodyLineTooLong: Error, Sendable, CustomStringConvertible {
    public var limit: Int
    public var description: String { "a line of the response body is longer than \(limit) bytes" }
}

extension AsyncSequence where Element == Data {
    /// The body split into lines (as `Data`, without the line terminator), e.g. NDJSON records.
    public func lines(maxLineLength: Int = 64 << 20) -> HTTPBodyLines<Self> {
        HTTPBodyLines(base: self, maxLineLength: maxLineLength)
    }

    /// The body split into lines, as `Data` (shorthand for `lines()`).
    public var lines: HTTPBodyLines<Self> { lines() }
}

extension HTTPBodyLines: Sendable where Base: Sendable {}
