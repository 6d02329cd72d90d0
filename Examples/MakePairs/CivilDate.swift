/// A date of the proleptic Gregorian calendar (the Gregorian rules extended back
/// before 1582, as Python's `datetime.date` and ISO 8601 have it).
struct CivilDate: Equatable {
    var year: Int, month: Int, day: Int

    static let first = CivilDate(year: 1000, month: 1, day: 1)
    static let last = CivilDate(year: 9999, month: 12, day: 31)

    static let monthNames = ["January", "February", "March", "April", "May", "June", "July",
                             "August", "September", "October", "November", "December"]

    init(year: Int, month: Int, day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }

    /// Days since 1970-01-01 (negative before), after Howard Hinnant's `days_from_civil`:
    /// years counted from March, so that the leap day ends a year, in 400-year eras of 146,097 days.
    var dayNumber: Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400                                          // 0...399
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1  // 0...365, from March 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear   // 0...146096
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The date `dayNumber` days after 1970-01-01 (Hinnant's `civil_from_days`).
    init(dayNumber: Int) {
        let z = dayNumber + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let m = (5 * dayOfYear + 2) / 153                                      // 0 = March
        day = dayOfYear - (153 * m + 2) / 5 + 1
        month = m < 10 ? m + 3 : m - 9
        year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
    }

    /// "April 22, 2019": the month's English name, the day without a leading zero, the year.
    var spelled: String { "\(Self.monthNames[month - 1]) \(day), \(year)" }

    /// "2019-04-22" (ISO 8601; every year here has four digits).
    var iso: String {
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(year)-\(two(month))-\(two(day))"
    }
}
