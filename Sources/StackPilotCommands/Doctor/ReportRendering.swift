import Doctor

/// Renders a doctor report in the style of `flutter doctor`: one line per check with a marker,
/// evidence and remedy indented under problems, then a summary line.
struct DoctorReportRenderer {
    struct Style {
        /// ✓ ! ✗ on a terminal; [ok] [!] [x] when not a tty or NO_COLOR is set.
        var unicode: Bool
        var color: Bool
        /// Show the evidence of passing checks too.
        var verbose: Bool
    }

    var style: Style

    func render(_ report: Doctor.Report) -> String {
        var lines: [String] = []
        var currentGroup: Doctor.Group?
        for result in report.results {
            if result.group != currentGroup {
                if currentGroup != nil { lines.append("") }
                lines.append(bold(title(of: result.group)))
                currentGroup = result.group
            }
            let finding = result.finding
            lines.append("\(marker(finding.status)) \(result.check): \(finding.summary)")
            let showEvidence = style.verbose || finding.status == .warning || finding.status == .failure
            if showEvidence {
                for line in finding.evidence { lines.append("      \(line)") }
            }
            for (index, line) in finding.remedy.enumerated() {
                lines.append("    \(index == 0 ? "→" .ascii("->", unicode: style.unicode) : " ") \(line)")
            }
            if let fix = finding.fix {
                lines.append("    \("→".ascii("->", unicode: style.unicode)) stackpilot doctor --fix would \(fix.description)")
            }
        }
        lines.append("")
        lines.append(summary(report))
        return lines.joined(separator: "\n") + "\n"
    }

    func summary(_ report: Doctor.Report) -> String {
        let failures = report.count(.failure)
        let warnings = report.count(.warning)
        let checks = report.results.count
        if failures == 0 && warnings == 0 {
            return paint("No issues found (\(checks) checks).", .green)
        }
        var parts: [String] = []
        if failures > 0 { parts.append("\(failures) failed") }
        if warnings > 0 { parts.append("\(warnings) warning\(warnings == 1 ? "" : "s")") }
        let text = "Doctor found problems: \(parts.joined(separator: ", ")) of \(checks) checks."
        return paint(text, failures > 0 ? .red : .yellow)
    }

    func title(of group: Doctor.Group) -> String {
        switch group {
        case .engine: "Docker engine"
        case .stacks: "Stacks"
        case .metrics: "Metrics exposed"
        case .prometheus: "Prometheus"
        case .grafana: "Grafana"
        case .alerts: "Alert conditions (evaluated now)"
        case .resources: "Container resources"
        case .gpu: "GPUs"
        case .swarm: "Swarm"
        }
    }

    func marker(_ status: Doctor.Status) -> String {
        switch status {
        case .ok: paint("[\("✓".ascii("ok", unicode: style.unicode))]", .green)
        case .notApplicable: paint("[\("-".ascii("-", unicode: style.unicode))]", .gray)
        case .warning: paint("[!]", .yellow)
        case .failure: paint("[\("✗".ascii("x", unicode: style.unicode))]", .red)
        }
    }

    enum Color: String { case red = "31", green = "32", yellow = "33", gray = "90" }

    func paint(_ text: String, _ color: Color) -> String {
        style.color ? "\u{1B}[\(color.rawValue)m\(text)\u{1B}[0m" : text
    }

    func bold(_ text: String) -> String {
        style.color ? "\u{1B}[1m\(text)\u{1B}[0m" : text
    }
}

private extension String {
    func ascii(_ fallback: String, unicode: Bool) -> String { unicode ? self : fallback }
}
