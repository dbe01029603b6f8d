import Foundation

extension ComposeValue {
    /// The value with every `$` in a string written `$$`. Loading a file interpolates its values, so
    /// `config` output must escape them to load back to the same project, as docker compose's
    /// `config` does. Keys are never interpolated and stay as they are.
    public func escapingDollars() -> ComposeValue {
        switch self {
        case .string(let text) where text.contains("$"):
            return .string(text.replacingOccurrences(of: "$", with: "$$"))
        case .array(let items):
            return .array(items.map { $0.escapingDollars() })
        case .object(let pairs):
            return .object(pairs.map { Pair($0.key, $0.value.escapingDollars()) })
        default:
            return self
        }
    }
}
