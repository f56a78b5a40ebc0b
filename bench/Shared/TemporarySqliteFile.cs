namespace Obol.Bench;

/// <summary>
/// A benchmark's SQLite database in the temp folder, deleted with its WAL and shared-memory files when the process
/// exits (a run writes hundreds of megabytes).
/// </summary>
internal static class TemporarySqliteFile
{
    public static string NewPath()
    {
        var path = Path.Combine(Path.GetTempPath(), $"obol-bench-{Guid.NewGuid():N}.db");
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            foreach (var file in new[] { path, path + "-wal", path + "-shm" })
            {
                File.Delete(file);
            }
        };
        return path;
    }
}
