/// Parses a wall-clock budget such as `90s`, `10m`, `2h`, `1h30m` or `45`
/// (seconds) into seconds. Returns nil for anything else, zero or negative.
public func parseDuration(_ text: String) -> Double? {
    let s = text.trimmingCharacters(in: .whitespaces).lowercased()
    guard !s.isEmpty else { return nil }
    if let plain = Double(s) { return plain > 0 && plain.isFinite ? plain : nil }
    var total = 0.0
    var number = ""
    var sawUnit = false
    for ch in s {
        if ch.isNumber || ch == "." {
            number.append(ch)
        } else {
            let unit: Double
            switch ch {
            case "s": unit = 1
            case "m": unit = 60
            case "h": unit = 3600
            case "d": unit = 86400
            default: return nil
            }
            guard let n = Double(number), n >= 0 else { return nil }
            total += n * unit
            number = ""
            sawUnit = true
        }
    }
    guard number.isEmpty, sawUnit, total > 0, total.isFinite else { return nil }
    return total
}

import Foundation
