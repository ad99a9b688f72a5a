using System.Collections;
using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Site;

namespace EdgeGuard.Testing;

/// <summary>
/// Every concrete <see cref="DomainEvent"/> type in EdgeGuard.Core, found by reflection, and
/// instances of each built from plausible arguments: so that a test over "every event" covers an
/// event type the day it is added, without a list to forget. Shared by the journal's data-writer
/// tests (linked there) and the MQTT contract test.
/// </summary>
/// <remarks>
/// Reflection is for the tests only (Core itself stays trim- and AOT-safe); the test assemblies
/// inherit the AOT analyzers, so the warnings are acknowledged here.
/// </remarks>
public static class CoreEvents
{
    /// <summary>The <c>At</c> of every instance built here.</summary>
    public static readonly DateTimeOffset At = new(2025, 3, 14, 9, 26, 53, TimeSpan.Zero);

    /// <summary>Every concrete subclass of <see cref="DomainEvent"/> in EdgeGuard.Core.</summary>
    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "Test-only enumeration of Core's event types; tests are never trimmed.")]
    public static List<Type> Types() =>
        typeof(DomainEvent).Assembly.GetTypes()
            .Where(type => type.IsSubclassOf(typeof(DomainEvent)) && !type.IsAbstract)
            .ToList();

    /// <summary>
    /// An instance of <paramref name="type"/> built with its widest public constructor: strings
    /// <c>"x"</c>, a panic button, lockdown mode, numbers 1, other value types default, other
    /// references null; init-only properties left at their defaults.
    /// </summary>
    /// <param name="type">A type from <see cref="Types"/>.</param>
    /// <returns>The instance.</returns>
    [UnconditionalSuppressMessage("Trimming", "IL2070", Justification = "Test-only; tests are never trimmed.")]
    public static DomainEvent Instantiate(Type type)
    {
        var constructor = WidestConstructor(type);
        var arguments = constructor.GetParameters().Select(parameter => Argument(parameter.ParameterType)).ToArray();
        return (DomainEvent)constructor.Invoke(arguments);
    }

    /// <summary>
    /// Instances of <paramref name="type"/> with every part a real event may have or lack: one with
    /// plausible arguments (as <see cref="Instantiate"/>, numbers 1), one with every optional
    /// argument null, one with every argument and init-only property filled (nullable values set,
    /// lists of one element, flags true); then, from both the filled and the null one, one per
    /// value of each enum argument or property (the mode of a lockdown names the wire type:
    /// <c>evacuation.started</c>) and of each alternative in <paramref name="values"/>. Each with
    /// a name saying what it varied, for a failure message.
    /// </summary>
    /// <param name="type">A type from <see cref="Types"/>.</param>
    /// <param name="values">
    /// Alternatives for arguments and init-only properties by name (or <c>Type.Name</c>), where a made-up value would not
    /// be one the gateway writes (an id that must be a UUID, an answer from a fixed set); the
    /// first is the one used when another part varies.
    /// </param>
    /// <param name="text">Every other string argument or property (<c>"x"</c>; e.g. the longest id a config allows).</param>
    /// <returns>Named instances; <see cref="DomainEvent.Drill"/> is never set.</returns>
    [UnconditionalSuppressMessage("Trimming", "IL2070", Justification = "Test-only; tests are never trimmed.")]
    [UnconditionalSuppressMessage("Trimming", "IL2075", Justification = "Test-only; tests are never trimmed.")]
    public static IEnumerable<(string Variant, DomainEvent Event)> Variants(Type type, IReadOnlyDictionary<string, object?[]>? values = null, string text = "x")
    {
        ArgumentNullException.ThrowIfNull(type);
        values ??= new Dictionary<string, object?[]>();
        var constructor = WidestConstructor(type);
        var parameters = constructor.GetParameters();
        var positional = parameters.Select(parameter => parameter.Name).ToHashSet(StringComparer.Ordinal);

        // Init-only properties of the type's own, not the positional ones (also init-only).
        var inits = type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(property => property.Name != nameof(DomainEvent.Drill) && property.SetMethod is { IsPublic: true } && !positional.Contains(property.Name))
            .ToList();
        object? Value(string name, Type valueType, bool fill) =>
            Lookup(values, type, name, valueType) is { } choices ? choices[0] : valueType == typeof(string) ? text : fill ? Filled(valueType, 0) : Plain(valueType);

        var plain = parameters.Select(parameter => Value(parameter.Name!, parameter.ParameterType, fill: false)).ToArray();
        yield return ("plain", (DomainEvent)constructor.Invoke(plain));

        var nullability = new NullabilityInfoContext();
        var empty = parameters.Select((parameter, i) => IsNullable(nullability, parameter) ? null : plain[i]).ToArray();
        var filled = parameters.Select(parameter => Value(parameter.Name!, parameter.ParameterType, fill: true)).ToArray();
        var fills = inits.ToDictionary(property => property.Name, property => Value(property.Name, property.PropertyType, fill: true), StringComparer.Ordinal);
        var bases = new (string Name, object?[] Arguments, bool Fill)[] { ("nulls", empty, false), ("filled", filled, true) };
        foreach (var (name, arguments, fill) in bases)
        {
            yield return (name, Build(constructor, arguments, inits, fill ? fills : null, null, null));
        }

        foreach (var (name, arguments, fill) in bases)
        {
            for (var i = 0; i < parameters.Length; i++)
            {
                foreach (var choice in Choices(Lookup(values, type, parameters[i].Name!, parameters[i].ParameterType), parameters[i].ParameterType))
                {
                    var varied = (object?[])arguments.Clone();
                    varied[i] = choice;
                    yield return ($"{name}, {parameters[i].Name}={choice}", Build(constructor, varied, inits, fill ? fills : null, null, null));
                }
            }

            foreach (var property in inits)
            {
                foreach (var choice in Choices(Lookup(values, type, property.Name, property.PropertyType), property.PropertyType))
                {
                    yield return ($"{name}, {property.Name}={choice}", Build(constructor, arguments, inits, fill ? fills : null, property, choice));
                }
            }
        }
    }

    // The values to try one by one for an argument or property: every member of an enum, or the
    // caller's alternatives; none for anything else.
    private static IEnumerable<object?> Choices(object?[]? choices, Type type)
    {
        if (choices is not null)
        {
            return choices;
        }

        var enumType = Nullable.GetUnderlyingType(type) ?? type;
        return enumType.IsEnum ? Enum.GetValues(enumType).Cast<object?>() : [];
    }

    // The caller's alternatives for an argument or property: by "Type.Name" first, then by name.
    // Alternatives by bare name that do not fit this argument's type are ignored (a Reason that is
    // an enum in one event and a text in another).
    private static object?[]? Lookup(IReadOnlyDictionary<string, object?[]> values, Type type, string name, Type valueType) =>
        values.TryGetValue($"{type.Name}.{name}", out var own) ? own
        : values.TryGetValue(name, out var any) && any.All(choice => choice is null || valueType.IsInstanceOfType(choice)) ? any
        : null;

    private static DomainEvent Build(
        ConstructorInfo constructor, object?[] arguments, List<PropertyInfo> inits, Dictionary<string, object?>? fills, PropertyInfo? varied, object? choice)
    {
        var instance = (DomainEvent)constructor.Invoke(arguments);
        foreach (var property in inits)
        {
            if (property == varied)
            {
                property.SetValue(instance, choice);
            }
            else if (fills is not null)
            {
                property.SetValue(instance, fills[property.Name]);
            }
        }

        return instance;
    }

    // Instantiate's argument, but numbers 1: a count or level of 0 is rarely one an event carries.
    private static object? Plain(Type type) => type == typeof(int) ? 1 : Argument(type);

    [UnconditionalSuppressMessage("Trimming", "IL2070", Justification = "Test-only; tests are never trimmed.")]
    private static ConstructorInfo WidestConstructor(Type type) =>
        type.GetConstructors(BindingFlags.Public | BindingFlags.Instance)
            .Where(candidate => !candidate.GetParameters().Any(parameter => parameter.ParameterType == type))
            .OrderByDescending(candidate => candidate.GetParameters().Length)
            .First();

    private static bool IsNullable(NullabilityInfoContext context, ParameterInfo parameter) =>
        Nullable.GetUnderlyingType(parameter.ParameterType) is not null
        || (!parameter.ParameterType.IsValueType && context.Create(parameter).WriteState == NullabilityState.Nullable);

    [UnconditionalSuppressMessage("Trimming", "IL2067", Justification = "Test-only; tests are never trimmed.")]
    private static object? Argument(Type type)
    {
        if (type == typeof(DateTimeOffset))
        {
            return At;
        }

        if (type == typeof(string))
        {
            return "x";
        }

        if (type == typeof(PointKind))
        {
            return PointKind.PanicButton;
        }

        if (type == typeof(SiteMode))
        {
            return SiteMode.Lockdown;
        }

        if (type == typeof(long))
        {
            return 1L;
        }

        if (type == typeof(IReadOnlyList<string>))
        {
            return new[] { "x" }; // a list of ids an event always carries (a door's exit buttons): never null
        }

        return type.IsValueType ? Activator.CreateInstance(type) : null;
    }

    // A value for every kind of argument or property, null for none: what a real event with all
    // its optional parts carries. Records are built from their widest constructor, to a bounded depth.
    [UnconditionalSuppressMessage("Trimming", "IL2067", Justification = "Test-only; tests are never trimmed.")]
    [UnconditionalSuppressMessage("Trimming", "IL2070", Justification = "Test-only; tests are never trimmed.")]
    [UnconditionalSuppressMessage("Trimming", "IL2072", Justification = "Test-only; tests are never trimmed.")]
    [UnconditionalSuppressMessage("AOT", "IL3050", Justification = "Test-only; tests are never compiled ahead of time.")]
    private static object? Filled(Type type, int depth)
    {
        if (Nullable.GetUnderlyingType(type) is { } underlying)
        {
            return Filled(underlying, depth);
        }

        if (type == typeof(bool))
        {
            return true;
        }

        if (type == typeof(int))
        {
            return 1;
        }

        if (type == typeof(TimeSpan))
        {
            return TimeSpan.FromSeconds(1);
        }

        if (type == typeof(Guid))
        {
            return Guid.Parse("0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b");
        }

        if (type.IsEnum || type == typeof(string) || type == typeof(long) || type == typeof(DateTimeOffset))
        {
            return Argument(type);
        }

        if (type.IsArray || (type.IsGenericType && typeof(IEnumerable).IsAssignableFrom(type)))
        {
            var element = type.IsArray ? type.GetElementType()! : type.GetGenericArguments()[0];
            var array = Array.CreateInstance(element, 1);
            array.SetValue(Filled(element, depth + 1), 0);
            return array;
        }

        if (depth > 3 || type.IsInterface || type.IsAbstract)
        {
            return type.IsValueType ? Activator.CreateInstance(type) : null;
        }

        var constructor = type.GetConstructors(BindingFlags.Public | BindingFlags.Instance)
            .Where(candidate => !candidate.GetParameters().Any(parameter => parameter.ParameterType == type))
            .OrderByDescending(candidate => candidate.GetParameters().Length)
            .FirstOrDefault();
        if (constructor is null)
        {
            return type.IsValueType ? Activator.CreateInstance(type) : null;
        }

        return constructor.Invoke([.. constructor.GetParameters().Select(parameter => Filled(parameter.ParameterType, depth + 1))]);
    }
}
