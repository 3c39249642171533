// The parts of a step that the run page's side panel and the compare page show, each fetching its own data.
export { StepEnvironment } from "./StepEnvironment";
export { StepMetrics, type StepPartProps } from "./StepMetrics";
export { StepOutputs } from "./StepOutputs";
export { StepWhy } from "./StepWhy";
