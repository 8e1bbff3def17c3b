// The worker's workflow bundle entry point: every workflow type the worker serves.
export { ticketWorkflow } from './ticket-workflow';
export { reconcilerWorkflow } from './reconciler';
