using System.Diagnostics;
using System.Globalization;

namespace Obol.Bench;

/// <summary>
/// CPU time spent by this process and by the PostgreSQL backends serving one database (found by the database name in
/// their process titles), so a benchmark can say where the time goes even on a machine shared with other work.
/// </summary>
internal static class ProcessCpu
{
    private static readonly double TicksPerSecond = 100; // USER_HZ on Linux

    public static TimeSpan Self() => Process.GetCurrentProcess().TotalProcessorTime;

    public static TimeSpan PostgresBackends(string database)
    {
        if (!OperatingSystem.IsLinux())
        {
            return TimeSpan.Zero;
        }

        double ticks = 0;
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            try
            {
                var cmdline = File.ReadAllText(Path.Combine(directory, "cmdline"));
                if (!cmdline.StartsWith("postgres:", StringComparison.Ordinal) || !cmdline.Contains(" " + database + " ", StringComparison.Ordinal))
                {
                    continue;
                }

                // Fields after the parenthesised command name: utime and stime are the 12th and 13th.
                var stat = File.ReadAllText(Path.Combine(directory, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                ticks += double.Parse(fields[11], CultureInfo.InvariantCulture) + double.Parse(fields[12], CultureInfo.InvariantCulture);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
            {
                // A process that ended or that we may not read.
            }
        }

        return TimeSpan.FromSeconds(ticks / TicksPerSecond);
    }
}
