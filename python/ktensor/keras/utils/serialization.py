"""What every `get()` family shares: Keras 3 config dicts and name lookup with a helpful error."""
import inspect


def serialize_object(obj, module):
    """A Keras 3 style config dict: {'module', 'class_name', 'config', 'registered_name'}."""
    return {"module": module, "class_name": type(obj).__name__, "config": obj.get_config(), "registered_name": None}


def lookup(name, table, family):
    """table[name] or a ValueError that lists the valid names of the family."""
    if name in table:
        return table[name]
    valid = ", ".join(sorted(table))
    raise ValueError(f"Could not interpret {family} identifier: {name!r}. Valid {family} names are: {valid}")


def from_dict(config, table, family, custom_objects=None):
    """Builds an object from a Keras 3 config dict ({'class_name', 'config'})."""
    if "class_name" not in config:
        raise ValueError(f"Could not interpret {family} identifier: {config!r} (a config dict needs 'class_name')")
    name = config["class_name"]
    if custom_objects and name in custom_objects:
        cls = custom_objects[name]
    else:
        cls = lookup(name, table, family)
    if custom_objects and "custom_objects" in inspect.signature(cls.from_config).parameters:
        # containers (Sequential, Functional, TimeDistributed) deserialize nested custom layers
        return cls.from_config(dict(config.get("config") or {}), custom_objects=custom_objects)
    return cls.from_config(dict(config.get("config") or {}))


def get_object(identifier, classes, names, family, base=None):
    """The `get()` of a family whose names denote classes: None, a config dict, a name (a new
    instance), a subclass of `base` (instantiated), or any callable."""
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        return from_dict(identifier, classes, family)
    if isinstance(identifier, str):
        return lookup(identifier, {**names, **classes}, family)()
    if base is not None and isinstance(identifier, type) and issubclass(identifier, base):
        return identifier()
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret {family} identifier: {identifier!r}")
