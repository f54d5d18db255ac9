export {
  type DrawValidatorsInput as AssignValidatorsInput,
  drawValidators as assignValidators,
  isqrt,
  type ValidatorCandidate,
} from "@flock/protocol";
