export * from "./change-tracker";
export * from "./ids";
export * from "./rules";
