/** Kata ids are lowercase words joined by dashes: safe as folder names, never a path. */
export const kataIdPattern = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
