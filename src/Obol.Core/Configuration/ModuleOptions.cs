using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Obol.Core.Configuration;

/// <summary>
/// A module's settings: bound from its configuration section when first needed (so configuration a host or a test adds
/// after registration counts), registered as the options object itself, and checked when the host starts
/// (<c>ValidateOnStart</c>) and again by <c>ObolApplication.PrepareAsync</c> before the database is touched. A missing or
/// wrong setting stops start-up with a message naming it, instead of failing the first request or background run that
/// needs it.
/// </summary>
public static class ModuleOptions
{
    public static IServiceCollection AddModuleOptions<TOptions>(
        this IServiceCollection services, string section, Func<TOptions, IEnumerable<string>> problems, Action<TOptions>? completeDefaults = null)
        where TOptions : class
    {
        var builder = services.AddOptions<TOptions>().BindConfiguration(section);
        if (completeDefaults is not null)
        {
            builder.PostConfigure(completeDefaults);
        }

        builder.ValidateOnStart();
        services.AddSingleton<IValidateOptions<TOptions>>(new Rules<TOptions>(section, problems));
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<TOptions>>().Value);
        return services;
    }

    /// <summary>A positive duration, for the messages of every module alike.</summary>
    public static IEnumerable<string> Positive(string setting, TimeSpan value)
    {
        if (value <= TimeSpan.Zero)
        {
            yield return $"{setting} must be a positive duration (such as 00:00:30), not {value}.";
        }
    }

    private sealed class Rules<TOptions>(string section, Func<TOptions, IEnumerable<string>> problems) : IValidateOptions<TOptions>
        where TOptions : class
    {
        public ValidateOptionsResult Validate(string? name, TOptions options)
        {
            var found = problems(options).Select(p => $"{section}: {p}").ToList();
            return found.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(found);
        }
    }
}
