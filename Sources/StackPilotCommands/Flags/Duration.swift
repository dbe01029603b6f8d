import ArgumentParser
import Durations

/// The type of every duration flag (`--timeout`, `--wait-timeout`, `--interval`, `--sample-window`,
/// `--heal-grace`, ...): `90s`, `500ms`, `1m30s`, `2.5s`, or a bare number of seconds, as
/// `CommandLineDuration` reads them. A value it cannot read is a usage error (exit 2).
public struct DurationArgument: ExpressibleByArgument, Sendable, Hashable, CustomStringConvertible {
    public var duration: Duration

    public init(_ duration: Duration) { self.duration = duration }

    public static func seconds(_ seconds: Int64) -> DurationArgument { DurationArgument(.seconds(seconds)) }
    public static func milliseconds(_ milliseconds: Int64) -> DurationArgument { DurationArgument(.milliseconds(milliseconds)) }

    public init?(argument: String) {
        guard let duration = CommandLineDuration.parse(argument) else { return nil }
        self.duration = duration
    }

    /// Whole seconds, rounded up: for the engine's `t=` parameters, which take seconds.
    public var wholeSeconds: Int {
        let (seconds, attoseconds) = duration.components
        return Int(seconds) + (attoseconds > 0 ? 1 : 0)
    }

    public var description: String { CommandLineDuration.format(duration) }
    public var defaultValueDescription: String { description }
}
