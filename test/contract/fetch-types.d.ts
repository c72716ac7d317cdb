/**
 * The generated client (generated-client/) names the DOM's BodyInit, which @types/node does not declare
 * globally (this project compiles without the DOM lib): the same type, from Node's own fetch types.
 */
type BodyInit = NonNullable<RequestInit['body']>;
